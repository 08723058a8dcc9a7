// Time for the refresher: the wall clock for token expiry and cancellable timers for waiting.
// Tests inject their own clock, so schedules measured in hours run instantly.
import { setTimeout as sleepTimer } from 'node:timers/promises';

export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
  /** Waits `ms`; resolves false when `signal` aborts first (never rejects on abort). */
  sleep(ms: number, signal?: AbortSignal): Promise<boolean>;
  /** A number in [0, 1) for jitter. */
  random(): number;
}

/** Node clamps longer timers to 1 ms (a busy loop), so long waits are taken in steps. */
const MAX_TIMER_MS = 2_147_483_647;

function isAbort(error: unknown): boolean {
  return error instanceof Error && error.name === 'AbortError';
}

export const systemClock: Clock = {
  now: () => Date.now(),
  async sleep(ms, signal) {
    let remaining = Math.max(0, ms);
    do {
      const step = Math.min(remaining, MAX_TIMER_MS);
      try {
        await sleepTimer(step, undefined, signal ? { signal } : undefined);
      } catch (error) {
        if (isAbort(error)) return false;
        throw error;
      }
      remaining -= step;
    } while (remaining > 0);
    return true;
  },
  random: () => Math.random(),
};
