// Probes judge the slot as the agent would see it. An exec probe runs as the container's user,
// often root, and root reads anything: a credentials file left by uid 1000 after an image roll
// would pass a root probe and still fail the CLI running as 10001. So a probe started as root
// first becomes the agent for good, with the same identity the boot path gives it.
import { agentIdentity, dropPrivileges, isRoot, lookupUser } from '../boot/identity.js';
import type { Settings } from '../settings/env.js';
import { childEnvironment } from '../supervise/environment.js';
import type { CliCheckOptions } from './cli.js';

export interface ProbeIdentity {
  uid: number;
  gid: number;
  /** True when this process started as root and dropped to the agent. */
  dropped: boolean;
}

/** Drops this process from root to AGENT_UID:AGENT_GID (unless the agent is root by choice). */
export function becomeAgent(settings: Settings): ProbeIdentity {
  const dropped = isRoot() && settings.uid !== 0;
  if (dropped) dropPrivileges(agentIdentity(settings));
  return { uid: process.getuid?.() ?? settings.uid, gid: process.getgid?.() ?? settings.gid, dropped };
}

/** The agent CLI as a probe runs it: as this process (the agent by now), with run mode's environment. */
export function agentCli(settings: Settings): CliCheckOptions {
  const user = lookupUser(process.getuid?.() ?? settings.uid)?.name ?? settings.agent;
  return { command: settings.agent, searchPath: settings.searchPath, cwd: '/', env: childEnvironment(settings, user), timeoutMs: settings.smoke.timeoutMs };
}
