// Token refresh inside run mode (not implemented yet).
import type { Logger } from '../log/logger.js';
import type { Settings } from '../settings/env.js';
import type { Service } from '../supervise/supervisor.js';

/** One check before the child starts; bounded by the request timeout and never fatal. */
export async function refreshBeforeChild(_settings: Settings, _log: Logger): Promise<void> {}

/** Scheduled checks for as long as the child runs; undefined when refresh is off. */
export function refreshService(_settings: Settings): Service | undefined {
  return undefined;
}
