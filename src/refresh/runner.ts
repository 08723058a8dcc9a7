// Drives checks: one (`refresh --once`, the check before the child starts) or forever (the
// sidecar, the supervisor's service). Each check is logged in one line and recorded in the status
// file together with the time of the next one; between checks there is exactly one pending timer.
import { describeErrno, errnoCode } from '../errors.js';
import type { Logger } from '../log/logger.js';
import type { Settings } from '../settings/env.js';
import { checkOnce, type CheckOptions } from './check.js';
import type { Clock } from './clock.js';
import { isoOrNull, outcomeLabel, type CheckResult } from './outcome.js';
import { nextCheckDelay } from './schedule.js';
import { buildStatus, previousLastRefresh, writeStatus, type RefreshStatus } from './status.js';

export interface RunnerContext {
  settings: Settings;
  log: Logger;
  clock: Clock;
}

export interface Scheduled {
  result: CheckResult;
  /** Consecutive transient failures, this check included. */
  failures: number;
  /** When the next check is due (ms since the epoch). */
  nextAt: number;
  status: RefreshStatus;
}

/** Schedules the next check after `result`. */
export function scheduleAfter(result: CheckResult, failuresBefore: number, context: RunnerContext): Omit<Scheduled, 'status'> {
  const failures = result.outcome.kind === 'transient' ? failuresBefore + 1 : 0;
  const delay = nextCheckDelay(result, failures, context.settings.refresh, context.clock.random());
  return { result, failures, nextAt: result.at + delay };
}

/** One log line for a check: info when all is well, warn for a transient failure, error (with the remedy) for a permanent one. */
function logResult(scheduled: Omit<Scheduled, 'status'>, log: Logger): void {
  const { outcome, state, message } = scheduled.result;
  const fields = { step: 'refresh', outcome: outcomeLabel(outcome), expiresAt: isoOrNull(state.expiresAtMs), nextCheck: isoOrNull(scheduled.nextAt) };
  if (outcome.kind === 'permanent') log.error(fields, message);
  else if (outcome.kind === 'transient') log.warn({ ...fields, failures: scheduled.failures }, message);
  else log.info(fields, message);
}

/** Logs the check and writes the status file (a status that cannot be written is only a warning). */
export function record(scheduled: Omit<Scheduled, 'status'>, context: RunnerContext): Scheduled {
  const { settings, log } = context;
  logResult(scheduled, log);
  const { result } = scheduled;
  // Claude's credentials carry no refresh time: the status file remembers ours.
  const lastRefresh = result.state.lastRefreshMs ?? (settings.agent === 'claude' ? previousLastRefresh(settings.paths.configDir) : undefined);
  const status = buildStatus(result, scheduled.nextAt, lastRefresh);
  if (result.outcome.kind !== 'skip' || result.outcome.reason !== 'disabled') {
    try {
      writeStatus(settings.paths.configDir, status);
    } catch (error) {
      log.warn({ errno: errnoCode(error) }, `cannot write the refresh status file in ${settings.paths.configDir} (${describeErrno(error)})`);
    }
  }
  return { ...scheduled, status };
}

/** Runs one check, logs it and records it. */
export async function checkAndRecord(context: RunnerContext, failuresBefore: number, options: Partial<CheckOptions> = {}): Promise<Scheduled> {
  const result = await checkOnce({ ...context, ...options });
  return record(scheduleAfter(result, failuresBefore, context), context);
}

export interface LoopOptions extends RunnerContext {
  /** Ends the loop: the pending timer is cancelled; a check in flight finishes first. */
  signal: AbortSignal;
  /** A check that already ran (the one before the child started): the loop continues its schedule. */
  previous?: Pick<Scheduled, 'failures' | 'nextAt'> | undefined;
}

/** Checks forever on the schedule until `signal` aborts. */
export async function refreshLoop(options: LoopOptions): Promise<void> {
  const { clock, signal } = options;
  let failures = options.previous?.failures ?? 0;
  let nextAt = options.previous?.nextAt ?? clock.now();
  while (!signal.aborted) {
    if (!(await clock.sleep(Math.max(0, nextAt - clock.now()), signal))) return;
    const scheduled = await checkAndRecord(options, failures, { signal });
    failures = scheduled.failures;
    nextAt = scheduled.nextAt;
  }
}
