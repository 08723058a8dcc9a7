// When to look again. The next check is the sooner of the interval and the moment the token
// becomes due, a little early (jitter, so many slots do not call the endpoint in step); after a
// transient failure, exponential backoff with jitter; after a permanent one, the normal interval.
import type { CheckResult } from './outcome.js';

export interface ScheduleSettings {
  intervalMs: number;
  backoffMs: number;
  backoffMaxMs: number;
}

/** Checks never follow each other closer than this (unless the interval itself is shorter). */
const MIN_GAP_MS = 60_000;
/** Normal checks come up to 10% early, at most 5 minutes. */
const EARLY_FRACTION = 0.1;
const MAX_EARLY_MS = 5 * 60_000;
/** Backoff delays vary by +-20%. */
const BACKOFF_SPREAD = 0.2;

/** The backoff after `failures` consecutive transient failures (1 = the first). */
export function backoffDelay(failures: number, settings: ScheduleSettings, random: number): number {
  const exponent = Math.min(Math.max(failures, 1) - 1, 30);
  const base = Math.min(settings.backoffMaxMs, settings.backoffMs * 2 ** exponent);
  const jittered = base * (1 - BACKOFF_SPREAD + 2 * BACKOFF_SPREAD * random);
  return Math.round(Math.min(settings.backoffMaxMs, jittered));
}

/** The delay before the normal (non-failure) next check, from what the check learnt. */
function regularDelay(result: CheckResult, settings: ScheduleSettings): number {
  const { outcome, state, at } = result;
  const gap = Math.min(settings.intervalMs, MIN_GAP_MS);
  // Only a token we can see and that is ours to refresh moves the check earlier.
  const watching = outcome.kind === 'refreshed' || (outcome.kind === 'skip' && (outcome.reason === 'not_due' || outcome.reason === 'refreshed_elsewhere'));
  if (!watching || state.dueAtMs === undefined) return settings.intervalMs;
  const untilDue = state.dueAtMs - at;
  if (untilDue > 0) return Math.min(settings.intervalMs, Math.max(untilDue, gap));
  // Still due right after a refresh: the server's tokens live shorter than the margin. Check again
  // halfway to expiry rather than redeeming a fresh token every minute.
  const untilExpiry = state.expiresAtMs === undefined ? settings.intervalMs : (state.expiresAtMs - at) / 2;
  return Math.min(settings.intervalMs, Math.max(gap, untilExpiry));
}

/** Milliseconds until the next check. `failures` counts consecutive transient failures including this one. */
export function nextCheckDelay(result: CheckResult, failures: number, settings: ScheduleSettings, random: number): number {
  if (result.outcome.kind === 'transient') return backoffDelay(failures, settings, random);
  const delay = regularDelay(result, settings);
  const early = random * Math.min(delay * EARLY_FRACTION, MAX_EARLY_MS);
  return Math.max(1, Math.round(delay - early));
}
