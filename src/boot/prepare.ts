// The boot path shared by run and auth-init: plan the layers, repair directories and ownership,
// apply the layers, seed credentials, then become the agent. Each step logs what it did and how
// long it took. Anything fatal happens before the config dir is written (plan, then apply).
import fs from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { BootError, ConfigError, describeErrno } from '../errors.js';
import type { Owner } from '../fs/atomic.js';
import { octal } from '../fs/mode.js';
import { applyPlan, LayerChangedError, type ApplyResult } from '../layers/apply.js';
import { planLayers, type LayerSources, type Plan } from '../layers/plan.js';
import type { Logger } from '../log/logger.js';
import type { Settings } from '../settings/env.js';
import { ensureDirectory, type DirSpec } from './directories.js';
import { agentIdentity, dropPrivileges, isRoot, lookupUser, warnIfNotAgent } from './identity.js';
import { chownTree } from './ownership.js';
import { parseCodexSession, seedCodexSession } from './seed.js';

export interface PrepareOptions {
  /** Plan and apply the config layers (run mode). */
  layers: boolean;
  /** Seed auth.json from CODEX_SESSION (run mode). */
  seed: boolean;
}

export interface PreparedSlot {
  /** The identity this process now has. */
  uid: number;
  gid: number;
  groups: number[];
  /** The agent's user name (passwd entry for the uid, else the agent's name). */
  user: string;
  /** Whether this process started as root (and dropped). */
  startedAsRoot: boolean;
}

/** Runs `fn`, then logs one line for the step with its duration and whatever `fn` reports. */
export function timed<T>(log: Logger, step: string, fn: () => T, describe: (result: T) => Record<string, unknown> = () => ({})): T {
  const start = performance.now();
  const result = fn();
  log.info({ step, ms: roundMs(performance.now() - start), ...describe(result) }, `${step} done`);
  return result;
}

/** Milliseconds to one decimal, for log lines. */
export function roundMs(ms: number): number {
  return Math.round(ms * 10) / 10;
}

/** Who owns what the boot writes: the agent when this process is root, else nobody in particular (ours). */
export function agentOwner(settings: Settings): Owner | undefined {
  return isRoot() ? { uid: settings.uid, gid: settings.gid } : undefined;
}

/** The warnings an apply can leave: a manifest that had to be rebuilt, files someone else changed. */
export function logApplyWarnings(log: Logger, step: string, applied: ApplyResult): void {
  if (applied.manifestProblem) log.warn({ step }, applied.manifestProblem);
  if (applied.kept.length > 0) {
    log.warn({ step, files: applied.kept }, 'files the layers no longer provide were changed by someone else since we wrote them; left in place');
  }
}

export function agentDirectories(settings: Settings): DirSpec[] {
  const { paths } = settings;
  return [
    { variable: 'AGENT_HOME', path: paths.home, mode: 0o755 },
    { variable: 'AGENT_CONFIG_DIR', path: paths.configDir, mode: 0o700, private: true },
    { variable: 'AGENT_WORKSPACE', path: paths.workspace, mode: 0o755, leaveForeignMount: true },
    { variable: 'AGENT_SHARED_HOME', path: paths.sharedHome, mode: 0o755 },
  ];
}

/** How often a plan or an apply overtaken by a ConfigMap swap is tried again, and the wait before each. */
const LAYER_ATTEMPTS = 5;
const LAYER_RETRY_MS = 20;

function layerSources(settings: Settings): LayerSources {
  return { agent: settings.agent, defaultsDir: settings.paths.defaultsDir, overlayDir: settings.paths.overlayDir };
}

/** Runs `step` again while a ConfigMap swap keeps landing during it (kubelet's steps take milliseconds). */
async function settled<T>(step: () => T | Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await step();
    } catch (error) {
      if (!(error instanceof LayerChangedError)) throw error;
      if (attempt >= LAYER_ATTEMPTS) {
        throw new ConfigError(`${error.message}, ${LAYER_ATTEMPTS} times in a row; something keeps rewriting a config layer (kubelet's ConfigMap updates are waited out): stop it, then restart the slot`);
      }
      await sleep(LAYER_RETRY_MS * attempt);
    }
  }
}

/** Plans both layers: one whole version of each, whatever a ConfigMap update does meanwhile. */
export function planSettled(settings: Settings): Promise<Plan> {
  return settled(() => planLayers(layerSources(settings)));
}

/** Plans and applies the layers, planning again if a ConfigMap swap lands mid-apply. */
export async function applyLayers(settings: Settings, owner: Owner | undefined, firstPlan?: Plan): Promise<ApplyResult & { plan: Plan }> {
  let given = firstPlan;
  return settled(async () => {
    const plan = given ?? planLayers(layerSources(settings));
    given = undefined; // a retry plans again
    return { ...(await applyPlan(plan, { configDir: settings.paths.configDir, owner, searchPath: settings.searchPath })), plan };
  });
}

/** ` at <path>` for an errno error that names the entry it failed on. */
function where(error: unknown): string {
  const file = (error as NodeJS.ErrnoException | undefined)?.path;
  return typeof file === 'string' ? ` at ${file}` : '';
}

function migrateHome(settings: Settings, owner: Owner, log: Logger): void {
  const home = settings.paths.home;
  if (!settings.fixOwnership) {
    log.info({ step: 'ownership' }, 'AGENT_FIX_OWNERSHIP=false: ownership migration skipped');
    return;
  }
  if (!fs.existsSync(home)) return;
  timed(
    log,
    'ownership',
    () => {
      try {
        return chownTree(fs.realpathSync(home), owner, { onlyIfRootMismatched: true });
      } catch (error) {
        throw new BootError(`cannot migrate ownership of AGENT_HOME ${home} to ${owner.uid}:${owner.gid}: ${describeErrno(error)}${where(error)}; make that entry changeable (immutable flag, read-only mount) or set AGENT_FIX_OWNERSHIP=false`, { cause: error });
      }
    },
    (result) => ({ path: home, walked: result.walked, scanned: result.scanned, changed: result.changed, skippedMounts: result.skippedMounts }),
  );
}

function handOver(settings: Settings, owner: Owner, log: Logger): void {
  for (const target of settings.paths.handover) {
    if (!fs.existsSync(target)) {
      log.warn({ step: 'handover', path: target }, `AGENT_HANDOVER_PATHS entry ${target} does not exist; skipped`);
      continue;
    }
    timed(
      log,
      'handover',
      () => {
        try {
          return chownTree(fs.realpathSync(target), owner, { onlyIfRootMismatched: false });
        } catch (error) {
          throw new BootError(`cannot hand ${target} (AGENT_HANDOVER_PATHS) to ${owner.uid}:${owner.gid}: ${describeErrno(error)}${where(error)}; make that entry changeable or remove it from AGENT_HANDOVER_PATHS`, { cause: error });
        }
      },
      (result) => ({ path: target, scanned: result.scanned, changed: result.changed }),
    );
  }
}

/** Tells the operator, with the remedies, when the agent cannot write its workspace. */
function checkWorkspace(settings: Settings, log: Logger): void {
  const workspace = settings.paths.workspace;
  try {
    fs.accessSync(workspace, fs.constants.W_OK | fs.constants.X_OK);
  } catch (error) {
    let stat: fs.Stats | undefined;
    try {
      stat = fs.statSync(workspace);
    } catch {
      stat = undefined; // not even reachable: the message below still names the path
    }
    const owner = stat ? ` (owned by ${stat.uid}:${stat.gid}, mode ${octal(stat.mode)})` : '';
    log.error(
      { step: 'workspace', path: workspace, errno: (error as NodeJS.ErrnoException).code },
      `AGENT_WORKSPACE ${workspace}${owner} is not writable by uid ${process.getuid?.()}: the agent will fail to write its work. ` +
        `Remedies: run the container with AGENT_UID matching the owner, mount it with podman/docker ":U", or give the pod fsGroup: ${settings.gid}`,
    );
  }
}

export async function prepareSlot(settings: Settings, log: Logger, options: PrepareOptions): Promise<PreparedSlot> {
  const root = isRoot();
  const owner = agentOwner(settings);
  const planStart = performance.now();
  const plan = options.layers ? await planSettled(settings) : undefined;
  if (plan) {
    log.info({ step: 'plan', ms: roundMs(performance.now() - planStart), files: plan.files.length, dirs: plan.dirs.length, layers: plan.present }, 'plan done');
  }

  // The seed is checked with the plan, before anything is touched: a CODEX_SESSION that is not a
  // JSON object must not stop a boot that has already applied the layers.
  const seedText = options.seed && settings.agent === 'codex' ? settings.codexSession : undefined;
  const seed = seedText === undefined ? undefined : { text: seedText, doc: parseCodexSession(seedText) };

  if (owner) migrateHome(settings, owner, log);
  else log.info({ step: 'ownership', uid: process.getuid?.() }, 'not running as root: ownership migration skipped');

  timed(
    log,
    'directories',
    () => agentDirectories(settings).map((spec) => [spec.path, ensureDirectory(spec, owner)] as const),
    (results) => Object.fromEntries(results.filter(([, outcome]) => outcome !== 'ok')),
  );

  if (owner) handOver(settings, owner, log);
  else if (settings.paths.handover.length > 0) log.info({ step: 'handover' }, 'not running as root: AGENT_HANDOVER_PATHS skipped');

  if (plan) {
    const start = performance.now();
    const applied = await applyLayers(settings, owner, plan);
    logApplyWarnings(log, 'layers', applied);
    log.info(
      {
        step: 'layers',
        ms: roundMs(performance.now() - start),
        written: applied.written,
        unchanged: applied.unchanged,
        removed: applied.removed,
        bytes: applied.bytesWritten,
      },
      'layers done',
    );
  }

  if (seed !== undefined) {
    timed(log, 'seed', () => seedCodexSession(seed, settings.paths.configDir, owner), (outcome) => ({ ...outcome }));
  } else if (options.seed && settings.codexSession !== undefined) {
    log.warn({ step: 'seed' }, 'CODEX_SESSION is set but AGENT is claude; ignored');
  }

  const agentUser = lookupUser(settings.uid)?.name;
  if (owner && settings.uid === 0) {
    log.warn({ step: 'privileges', uid: 0 }, 'AGENT_UID is 0 and AGENT_ALLOW_ROOT=true: the agent runs as root (no privilege drop)');
  } else if (owner) {
    const identity = agentIdentity(settings, agentUser);
    timed(log, 'privileges', () => dropPrivileges(identity), () => ({ uid: identity.uid, gid: identity.gid, groups: identity.groups }));
  } else {
    log.info({ step: 'privileges', uid: process.getuid?.() }, 'not running as root: privilege drop skipped');
    warnIfNotAgent(settings, log);
  }
  checkWorkspace(settings, log);

  return {
    uid: process.getuid?.() ?? settings.uid,
    gid: process.getgid?.() ?? settings.gid,
    groups: process.getgroups?.() ?? [],
    user: agentUser ?? settings.agent,
    startedAsRoot: root,
  };
}
