// Who the agent is, and the one-way step from root to the agent for this very process:
// setgroups, setgid, setuid (as gosu and su-exec do), then a check that root cannot be regained.
// `spawn({uid, gid})` is not used: it calls setgroups(0) and loses a Kubernetes fsGroup.
import fs from 'node:fs';
import { flushCompileCache } from 'node:module';
import { BootError } from '../errors.js';
import type { Logger } from '../log/logger.js';
import type { Settings } from '../settings/env.js';

export interface Identity {
  uid: number;
  gid: number;
  /** Supplementary groups, the agent gid first. */
  groups: number[];
}

export function isRoot(): boolean {
  return process.geteuid?.() === 0;
}

interface PasswdEntry {
  name: string;
  uid: number;
  gid: number;
  home: string;
}

function readLines(file: string): string[] {
  try {
    return fs.readFileSync(file, 'utf8').split('\n');
  } catch {
    return [];
  }
}

/** The passwd entry for a uid, if the image has one. */
export function lookupUser(uid: number, passwdFile = '/etc/passwd'): PasswdEntry | undefined {
  for (const line of readLines(passwdFile)) {
    const [name, , id, gid, , home] = line.split(':');
    if (name && Number(id) === uid && id !== '') return { name, uid, gid: Number(gid), home: home ?? '' };
  }
  return undefined;
}

/** Gids whose /etc/group entry lists `user` as a member. */
function memberships(user: string, groupFile: string): Set<number> {
  const gids = new Set<number>();
  for (const line of readLines(groupFile)) {
    const [, , gid, members] = line.split(':');
    if (gid !== undefined && members?.split(',').includes(user)) gids.add(Number(gid));
  }
  return gids;
}

export interface GroupSources {
  agentGid: number;
  agentUser: string | undefined;
  /** Groups this process was started with (a Kubernetes fsGroup or supplementalGroups shows up here). */
  inherited: number[];
  /** Gid of a group-writable workspace, if any. */
  workspaceGid: number | undefined;
  groupFile?: string;
}

/**
 * The agent's supplementary groups: its own gid, the groups the container runtime gave this process
 * (except root's own groups from /etc/group and gid 0, which would hand the agent root's files),
 * the groups /etc/group lists the agent in, and the group of a group-writable workspace.
 */
export function supplementaryGroups(sources: GroupSources): number[] {
  const groupFile = sources.groupFile ?? '/etc/group';
  const rootGroups = memberships('root', groupFile);
  const groups = new Set<number>([sources.agentGid]);
  for (const gid of sources.inherited) if (gid !== 0 && !rootGroups.has(gid)) groups.add(gid);
  if (sources.agentUser) for (const gid of memberships(sources.agentUser, groupFile)) if (gid !== 0) groups.add(gid);
  if (sources.workspaceGid !== undefined && sources.workspaceGid !== 0) groups.add(sources.workspaceGid);
  return [...groups];
}

/** Effective capabilities of this process, from /proc (0n when none). */
export function effectiveCapabilities(): bigint | undefined {
  const status = readLines('/proc/self/status').find((line) => line.startsWith('CapEff:'));
  return status ? BigInt(`0x${status.split(/\s+/)[1]}`) : undefined;
}

/** Becomes `identity` for good. Throws BootError if the drop fails or can be undone. */
export function dropPrivileges(identity: Identity): void {
  // With NODE_COMPILE_CACHE set (the image sets it), Node writes this program's compiled code at
  // exit; after the drop the cache directory (root's) is no longer writable, so write it now.
  flushCompileCache?.();
  try {
    process.setgroups!(identity.groups);
    process.setgid!(identity.gid);
    process.setuid!(identity.uid);
  } catch (error) {
    throw new BootError(`cannot drop privileges to uid ${identity.uid} gid ${identity.gid}: ${(error as Error).message}`, { cause: error });
  }
  let regained = false;
  for (const attempt of [() => process.setuid!(0), () => process.seteuid!(0), () => process.setgid!(0)]) {
    try {
      attempt();
      regained = true;
    } catch {
      // expected: EPERM
    }
  }
  const caps = effectiveCapabilities();
  if (regained || process.getuid!() !== identity.uid || process.geteuid!() !== identity.uid || (caps !== undefined && caps !== 0n)) {
    throw new BootError(`privilege drop to uid ${identity.uid} did not hold (root could be regained); refusing to start the agent`);
  }
}

/** Who this process becomes when it drops root: the agent, with the supplementary groups it is due. */
export function agentIdentity(settings: Settings, agentUser = lookupUser(settings.uid)?.name): Identity {
  const workspace = fs.statSync(settings.paths.workspace, { throwIfNoEntry: false });
  return {
    uid: settings.uid,
    gid: settings.gid,
    groups: supplementaryGroups({
      agentGid: settings.gid,
      agentUser,
      inherited: process.getgroups?.() ?? [],
      workspaceGid: workspace && workspace.mode & 0o020 ? workspace.gid : undefined,
    }),
  };
}

/** Started as a user other than root: warns when it is not AGENT_UID (what it writes will not be the agent's). */
export function warnIfNotAgent(settings: Settings, log: Logger): void {
  const uid = process.getuid?.() ?? -1;
  if (uid !== settings.uid) {
    log.warn({ uid, expected: settings.uid }, `running as uid ${uid} but AGENT_UID is ${settings.uid}: files written by one are not owned by the other; align runAsUser with AGENT_UID`);
  }
}
