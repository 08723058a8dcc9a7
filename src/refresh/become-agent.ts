// refresh mode started as root (a sidecar with no runAsUser): become the agent first, so every
// file it writes (credentials, lock, status) is agent-owned by construction, as in run mode.
import { ConfigError } from '../errors.js';
import { agentIdentity, dropPrivileges, isRoot, warnIfNotAgent } from '../boot/identity.js';
import type { Logger } from '../log/logger.js';
import type { Settings } from '../settings/env.js';

export function becomeAgent(settings: Settings, log: Logger): void {
  if (!isRoot()) {
    warnIfNotAgent(settings, log);
    return;
  }
  if (settings.uid === 0) {
    log.warn({ uid: 0 }, 'AGENT_UID is 0 and AGENT_ALLOW_ROOT=true: refreshing as root');
    return;
  }
  const identity = agentIdentity(settings);
  try {
    dropPrivileges(identity);
  } catch (error) {
    throw new ConfigError(
      `cannot become AGENT_UID:AGENT_GID ${settings.uid}:${settings.gid} (${(error as Error).message}); run the refresher as the agent (runAsUser: ${settings.uid})`,
      { cause: error },
    );
  }
  log.debug({ uid: identity.uid, gid: identity.gid, groups: identity.groups }, 'refresh: running as the agent');
}
