// Probes judge the slot as the agent would see it. An exec probe runs as the container's user,
// often root, and root reads anything: a credentials file left by uid 1000 after an image roll
// would pass a root probe and still fail the CLI running as 10001. So a probe started as root
// first becomes the agent for good, with the same identity the boot path gives it.
import { agentIdentity, dropPrivileges, isRoot } from '../boot/identity.js';
import type { Settings } from '../settings/env.js';

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
