import type { Agent } from '../settings/modes.js';

/** The credentials file each CLI reads from its config dir. */
export const CREDENTIALS_FILE: Record<Agent, string> = {
  codex: 'auth.json',
  claude: '.credentials.json',
};

/** The refresh watchdog's status file in the config dir. */
export const REFRESH_STATUS_FILE = 'auth_refresh_status.json';

/** Lock file that serialises refreshers of one credentials file. */
export function lockFileFor(credentialsFile: string): string {
  return `${credentialsFile}.lock`;
}
