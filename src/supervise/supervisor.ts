// Runs one child with inherited stdio and stays with it: forwards signals, escalates a stop to
// SIGKILL after the grace period, runs background services (token refresh, config reload) for as
// long as the child lives, and returns the child's exit code (128+n when killed by signal n).
// Nothing it starts outlives the child: timers and services end before it returns; the signal
// handlers stay, inert, so that a late signal cannot change the exit code.
import { spawn, type ChildProcess } from 'node:child_process';
import { constants as osConstants } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { EXIT } from '../errors.js';
import type { Logger } from '../log/logger.js';

/** Signals relayed to the child. SIGCHLD is never relayed; SIGKILL/SIGSTOP cannot be caught. */
export const FORWARDED_SIGNALS = ['SIGTERM', 'SIGINT', 'SIGHUP', 'SIGQUIT', 'SIGUSR1', 'SIGUSR2', 'SIGWINCH'] as const;

/** Signals that ask the child to stop: they start the grace period. */
const STOP_SIGNALS = new Set<NodeJS.Signals>(['SIGTERM', 'SIGINT']);

export interface ServiceContext {
  /** Aborted when the child has exited: the service must finish promptly. */
  signal: AbortSignal;
  /** Sends a signal to the child (no-op once it has exited). */
  signalChild: (signal: NodeJS.Signals) => void;
  log: Logger;
}

/** A background task that lives as long as the child. */
export type Service = (context: ServiceContext) => Promise<void>;

export interface SuperviseOptions {
  /** Resolved executable path. */
  file: string;
  /** argv[0] as the child should see it (the command as given). */
  argv0: string;
  args: readonly string[];
  cwd: string;
  env: Record<string, string>;
  stopGraceMs: number;
  log: Logger;
  services?: readonly Service[];
}

/** Exit code convention of tini and dumb-init: the child's code, or 128+n for signal n. */
export function exitCodeOf(code: number | null, signal: NodeJS.Signals | null): number {
  if (code !== null) return code;
  const number = signal ? osConstants.signals[signal] : undefined;
  return number !== undefined ? EXIT.signalBase + number : EXIT.failure;
}

function waitForExit(child: ChildProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null; error?: NodeJS.ErrnoException }> {
  return new Promise((resolve) => {
    child.once('exit', (code, signal) => resolve({ code, signal }));
    child.once('error', (error: NodeJS.ErrnoException) => {
      // 'error' without 'exit' means the child never started.
      if (child.pid === undefined) resolve({ code: null, signal: null, error });
    });
  });
}

export async function supervise(options: SuperviseOptions): Promise<number> {
  const { log } = options;
  const started = performance.now();
  const child = spawn(options.file, options.args, {
    argv0: options.argv0,
    cwd: options.cwd,
    env: options.env,
    stdio: 'inherit',
  });
  const exited = waitForExit(child);
  const lifetime = new AbortController();
  let stopping: NodeJS.Signals | undefined;

  const signalChild = (signal: NodeJS.Signals) => {
    if (child.exitCode === null && child.signalCode === null && child.pid !== undefined) child.kill(signal);
  };

  /** First stop signal wins: one grace timer, never shortened or doubled by later signals. */
  const escalate = async (reason: NodeJS.Signals) => {
    try {
      await sleep(options.stopGraceMs, undefined, { signal: lifetime.signal });
    } catch {
      return; // the child exited within the grace period
    }
    log.warn({ signal: reason, graceMs: options.stopGraceMs }, 'child still running after the stop grace period; sending SIGKILL');
    signalChild('SIGKILL');
  };

  let childExited = false;
  const relay = (signal: NodeJS.Signals) => {
    if (childExited) {
      log.debug({ signal }, 'the child has exited; signal not forwarded');
      return;
    }
    (signal === 'SIGWINCH' ? log.debug : log.info).call(log, { signal }, 'forwarding signal to the child');
    signalChild(signal);
    if (STOP_SIGNALS.has(signal) && stopping === undefined) {
      stopping = signal;
      void escalate(signal);
    }
  };
  for (const signal of FORWARDED_SIGNALS) process.on(signal, relay);

  const services = (child.pid === undefined ? [] : (options.services ?? [])).map((service) =>
    service({ signal: lifetime.signal, signalChild, log }).catch((error: unknown) => {
      log.error({ err: error }, 'background service failed; the agent keeps running');
    }),
  );
  if (child.pid !== undefined) log.info({ childPid: child.pid, command: options.argv0 }, 'child started');

  const outcome = await exited;
  // The handlers stay installed until this process exits (they do not keep it alive): without
  // one, a TERM arriving while the services stop would end this process by the default action,
  // and 143 would replace the child's exit code.
  childExited = true;
  lifetime.abort();
  await Promise.all(services);

  if (outcome.error) {
    const code = outcome.error.code === 'ENOENT' ? EXIT.notFound : outcome.error.code === 'EACCES' ? EXIT.notExecutable : EXIT.failure;
    log.error({ code: outcome.error.code }, `cannot start ${options.argv0}: ${outcome.error.code ?? outcome.error.message}`);
    return code;
  }
  const code = exitCodeOf(outcome.code, outcome.signal);
  log.info(
    { exitCode: outcome.code, signal: outcome.signal, code, ms: Math.round(performance.now() - started) },
    'child exited',
  );
  return code;
}
