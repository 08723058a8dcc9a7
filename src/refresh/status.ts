// The watchdog's status file, auth_refresh_status.json in the config dir (agent-owned, written
// atomically, no secrets): what the last check concluded and when the next one is due.
import fs from 'node:fs';
import path from 'node:path';
import { REFRESH_STATUS_FILE } from '../credentials/files.js';
import { writeFileAtomicSync } from '../fs/atomic.js';
import { isoOrNull, outcomeLabel, type CheckResult } from './outcome.js';

export interface RefreshStatus {
  last_refresh: string | null;
  last_refresh_age_seconds: number | null;
  watchdog_last_outcome: string;
  watchdog_last_run_iso: string;
  next_check_iso: string | null;
  /** When the access token expires, when known. */
  expires_at_iso: string | null;
}

export function statusFile(configDir: string): string {
  return path.join(configDir, REFRESH_STATUS_FILE);
}

/** last_refresh from an earlier status file (claude's credentials do not record it). */
export function previousLastRefresh(configDir: string): number | undefined {
  try {
    const value = JSON.parse(fs.readFileSync(statusFile(configDir), 'utf8')) as { last_refresh?: unknown };
    const ms = typeof value.last_refresh === 'string' ? Date.parse(value.last_refresh) : Number.NaN;
    return Number.isNaN(ms) ? undefined : ms;
  } catch {
    return undefined;
  }
}

export function buildStatus(result: CheckResult, nextCheckMs: number | undefined, lastRefreshMs: number | undefined): RefreshStatus {
  return {
    last_refresh: isoOrNull(lastRefreshMs),
    last_refresh_age_seconds: lastRefreshMs === undefined ? null : Math.max(0, Math.floor((result.at - lastRefreshMs) / 1000)),
    watchdog_last_outcome: outcomeLabel(result.outcome),
    watchdog_last_run_iso: new Date(result.at).toISOString(),
    next_check_iso: isoOrNull(nextCheckMs),
    expires_at_iso: isoOrNull(result.state.expiresAtMs),
  };
}

/** Writes the status file when the config dir exists (it is never created here). */
export function writeStatus(configDir: string, status: RefreshStatus): boolean {
  if (!fs.existsSync(configDir)) return false;
  writeFileAtomicSync(statusFile(configDir), `${JSON.stringify(status, null, 2)}\n`, { mode: 0o644 });
  return true;
}
