import path from 'node:path';
import type { Settings } from '../settings/env.js';
import type { Agent } from '../settings/modes.js';

/** The credentials file each CLI reads from its config dir. */
export const CREDENTIALS_FILE: Record<Agent, string> = {
  codex: 'auth.json',
  claude: '.credentials.json',
};

/** The agent's credentials file: auth.json (codex) or .credentials.json (claude) in the config dir. */
export function credentialsPath(settings: Settings): string {
  return path.join(settings.paths.configDir, CREDENTIALS_FILE[settings.agent]);
}

/** The refresh watchdog's status file in the config dir. */
export const REFRESH_STATUS_FILE = 'auth_refresh_status.json';

/**
 * Lock file that serialises our refreshers of one credentials file. Not `<file>.lock`: that name
 * is the CLIs' own (codex keeps an empty `auth.json.lock`; lock libraries make `<file>.lock` a
 * directory), and taking or breaking it would interfere with the CLI's locking.
 */
export function lockFileFor(credentialsFile: string): string {
  return `${credentialsFile}.agent-entrypoint.lock`;
}
