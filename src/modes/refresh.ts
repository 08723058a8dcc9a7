// refresh mode. `refresh --once`: one check (and a refresh when due), one JSON line on stdout,
// exit 0 refreshed, 1 skipped, 2 transient failure, 3 permanent failure, 78 configuration error.
// `refresh`: the same check forever on its schedule, for a sidecar; SIGTERM ends it (exit 0).
import { ConfigError, EXIT } from '../errors.js';
import { becomeAgent } from '../refresh/become-agent.js';
import { systemClock } from '../refresh/clock.js';
import { resolvedCredentialsPath } from '../refresh/credentials.js';
import { exitCodeFor, isoOrNull, outcomeLabel } from '../refresh/outcome.js';
import { checkAndRecord, refreshLoop, type RunnerContext, type Scheduled } from '../refresh/runner.js';
import { onStopSignals, withStopDeferred } from '../refresh/signals.js';
import type { ErrorPresenter, ModeContext } from './types.js';

/** `--once` output for an error before any check (78: the environment or the arguments). */
export const presentError: ErrorPresenter = (error, io, { agent }) => {
  const outcome = error.exitCode === EXIT.config ? 'error:config' : 'error';
  io.stdout(`${JSON.stringify({ outcome, exit_code: error.exitCode, agent: agent ?? null, message: error.message })}\n`);
  io.stderr(`FATAL: ${error.message}\n`);
};

function parseArgs(args: readonly string[]): { once: boolean } {
  let once = false;
  for (const arg of args) {
    if (arg === '--once') once = true;
    else throw new ConfigError(`refresh does not accept the argument ${JSON.stringify(arg.slice(0, 40))}; accepted: --once`);
  }
  return { once };
}

/** The `--once` JSON line: the outcome, its exit code, the token's times and the next check; never a secret. */
export function outcomeLine(scheduled: Scheduled, context: RunnerContext): string {
  const { result, status } = scheduled;
  const disabled = result.outcome.kind === 'skip' && result.outcome.reason === 'disabled';
  return JSON.stringify({
    outcome: outcomeLabel(result.outcome),
    exit_code: exitCodeFor(result.outcome),
    agent: context.settings.agent,
    credentials: resolvedCredentialsPath(context.settings),
    expires_at_iso: isoOrNull(result.state.expiresAtMs),
    due_at_iso: isoOrNull(result.state.dueAtMs),
    next_check_iso: disabled ? null : status.next_check_iso,
    last_refresh: status.last_refresh,
    message: result.message,
  });
}

async function once(context: RunnerContext, io: ModeContext['io']): Promise<number> {
  const { value } = await withStopDeferred((signal) => checkAndRecord(context, 0, { signal }));
  io.stdout(`${outcomeLine(value, context)}\n`);
  return exitCodeFor(value.result.outcome);
}

/** Waits until `signal` aborts, holding the process open with one long timer. */
async function idle(signal: AbortSignal): Promise<void> {
  while (await systemClock.sleep(2 ** 31 - 1, signal));
}

async function forever(runner: RunnerContext): Promise<number> {
  const { log, settings } = runner;
  const controller = new AbortController();
  const removeHandlers = onStopSignals((signal) => {
    log.info({ signal }, 'stopping the refresh watchdog');
    controller.abort();
  });
  try {
    if (!settings.refresh.enabled) {
      log.info({ step: 'refresh' }, 'AGENT_REFRESH=off: token refresh is disabled; idle until stopped');
      await idle(controller.signal);
    } else {
      log.info({ step: 'refresh', intervalMs: settings.refresh.intervalMs, marginMs: settings.refresh.marginMs }, 'refresh watchdog started');
      await refreshLoop({ ...runner, signal: controller.signal });
    }
    return EXIT.ok;
  } finally {
    removeHandlers();
  }
}

export async function run({ settings, args, log, io }: ModeContext): Promise<number> {
  const { once: oneCheck } = parseArgs(args);
  becomeAgent(settings, log);
  const runner: RunnerContext = { settings, log, clock: systemClock };
  return oneCheck ? once(runner, io) : forever(runner);
}
