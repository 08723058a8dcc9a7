// Live config reload inside run mode (not implemented yet).
import type { Settings } from '../settings/env.js';
import type { Service } from '../supervise/supervisor.js';

/** Watches the overlay and re-applies the layers while the child runs; undefined when reload is off. */
export function reloadService(_settings: Settings): Service | undefined {
  return undefined;
}
