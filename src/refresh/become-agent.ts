// refresh mode started as root (a sidecar with no runAsUser): become the agent first, so every
// file it writes (credentials, lock, status) is agent-owned by construction, as in run mode.
import { ConfigError } from '../errors.js';
import { dropPrivileges, isRoot, lookupUser, supplementaryGroups } from '../boot/identity.js';
import type { Logger } from '../log/logger.js';
import type { Settings } from '../settings/env.js';

export function becomeAgent(settings: Settings, log: Logger): void {
  if (!isRoot()) {
    const uid = process.getuid?.();
    if (uid !== settings.uid) {
      log.warn({ uid, expected: settings.uid }, `running as uid ${uid} but AGENT_UID is ${settings.uid}: refreshed credentials will be owned by ${uid}; align runAsUser with AGENT_UID`);
    }
    return;
  }
  if (settings.uid === 0) {
    log.warn({ uid: 0 }, 'AGENT_UID is 0 and AGENT_ALLOW_ROOT=true: refreshing as root');
    return;
  }
  const groups = supplementaryGroups({
    agentGid: settings.gid,
    agentUser: lookupUser(settings.uid)?.name,
    inherited: process.getgroups?.() ?? [],
    workspaceGid: undefined,
  });
  try {
    dropPrivileges({ uid: settings.uid, gid: settings.gid, groups });
  } catch (error) {
    throw new ConfigError(
      `cannot become AGENT_UID:AGENT_GID ${settings.uid}:${settings.gid} (${(error as Error).message}); run the refresher as the agent (runAsUser: ${settings.uid})`,
      { cause: error },
    );
  }
  log.debug({ uid: settings.uid, gid: settings.gid, groups }, 'refresh: running as the agent');
}
