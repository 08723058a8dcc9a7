// Token refresh inside run mode: one bounded check before the child starts (never fatal, never
// blocking the start for long), then the scheduled checks for as long as the child runs. Both run
// after the privilege drop, as the agent.
import type { Logger } from '../log/logger.js';
import type { Settings } from '../settings/env.js';
import type { Service } from '../supervise/supervisor.js';
import { systemClock } from './clock.js';
import { checkAndRecord, refreshLoop, type Scheduled } from './runner.js';
import { redeliver, withStopDeferred } from './signals.js';

/** Before the child starts, another refresher's lock is waited for this long at most. */
const PRECHECK_LOCK_WAIT_MS = 5_000;

/** The pre-check's schedule, handed to the service so it continues where the pre-check left off. */
const handoff = new WeakMap<Settings, Pick<Scheduled, 'failures' | 'nextAt'>>();

/** One check before the child starts; bounded by the request timeout and never fatal. */
export async function refreshBeforeChild(settings: Settings, log: Logger): Promise<void> {
  if (!settings.refresh.enabled) {
    log.info({ step: 'refresh' }, 'AGENT_REFRESH=off: token refresh is disabled');
    return;
  }
  const context = { settings, log, clock: systemClock };
  const lockWaitMs = Math.min(PRECHECK_LOCK_WAIT_MS, settings.refresh.timeoutMs);
  const { value, stopped } = await withStopDeferred((signal) => checkAndRecord(context, 0, { signal, lockWaitMs }));
  handoff.set(settings, { failures: value.failures, nextAt: value.nextAt });
  // A stop that arrived during the check must keep the child from starting: run mode's boot guard
  // holds it (and returns 128+n); without a handler, it is delivered again with its default action.
  redeliver(stopped);
}

/** Scheduled checks for as long as the child runs; undefined when refresh is off. */
export function refreshService(settings: Settings): Service | undefined {
  if (!settings.refresh.enabled) return undefined;
  return ({ signal, log }) => refreshLoop({ settings, log: log.child({ service: 'refresh' }), clock: systemClock, signal, previous: handoff.get(settings) });
}
