// Runs the login command with inherited stdio (its URL and one-time code reach the job log or the
// attached terminal), bounded by AGENT_AUTH_INIT_TIMEOUT: SIGTERM, then SIGKILL after
// AGENT_STOP_GRACE. SIGTERM, SIGINT and SIGHUP sent to this process are passed on to it.
//
// node:child_process, not execa: the program ships as one bundle, so a dynamic import does not keep
// a library out of it, and execa with its dependencies is about 130 KB that every start of every
// mode would parse (measured: +6 ms on `--version`, +6 ms on smoke-test). What is needed here is a
// timer and two signals.
import { spawn } from 'node:child_process';
import { setTimeout as delay } from 'node:timers/promises';
import { errnoCode } from '../errors.js';
import type { LoginCommand } from './command.js';

export interface LoginRun {
  /** The login's exit code, when it exited by itself. */
  exitCode: number | undefined;
  /** The signal that ended it, if one did. */
  signal: string | undefined;
  timedOut: boolean;
  /** SIGKILL after the grace was needed. */
  forced: boolean;
  /** A signal this process received and passed on (the job was stopped). */
  interrupted: NodeJS.Signals | undefined;
  /** It could not be started (ENOENT, EACCES...). */
  spawnError: string | undefined;
  durationMs: number;
}

export interface LoginOptions {
  env: Record<string, string>;
  cwd: string;
  timeoutMs: number;
  graceMs: number;
}

const FORWARDED = ['SIGTERM', 'SIGINT', 'SIGHUP'] as const;

type End = { code: number | null; signal: NodeJS.Signals | null } | { error: Error };

export async function runLogin(login: LoginCommand, options: LoginOptions): Promise<LoginRun> {
  const [file, ...args] = login.argv;
  const start = performance.now();
  // Same process group and session: a terminal's Ctrl-C and the pasted code reach the login.
  const child = spawn(file, args, { stdio: 'inherit', env: options.env, cwd: options.cwd });
  const ended = new Promise<End>((resolve) => {
    child.once('exit', (code, signal) => resolve({ code, signal }));
    child.once('error', (error) => resolve({ error }));
  });

  let interrupted: NodeJS.Signals | undefined;
  let timedOut = false;
  let forced = false;
  const timers = new AbortController();
  const stop = async (signal: NodeJS.Signals) => {
    child.kill(signal);
    await delay(options.graceMs, undefined, { signal: timers.signal });
    forced = child.kill('SIGKILL');
  };
  // The first reason to stop wins; later ones do not restart the grace.
  let stopping: Promise<void> | undefined;
  const stopOnce = (signal: NodeJS.Signals) => (stopping ??= stop(signal).catch(() => {}));
  delay(options.timeoutMs, undefined, { signal: timers.signal }).then(
    () => {
      timedOut = true;
      void stopOnce('SIGTERM');
    },
    () => {}, // cancelled: the login ended first
  );
  const handlers = FORWARDED.map((signal) => {
    const handler = () => {
      interrupted ??= signal;
      void stopOnce(signal);
    };
    process.on(signal, handler);
    return [signal, handler] as const;
  });

  try {
    const end = await ended;
    if ('error' in end) {
      return { exitCode: undefined, signal: undefined, timedOut: false, forced: false, interrupted, spawnError: errnoCode(end.error) ?? end.error.message, durationMs: Math.round(performance.now() - start) };
    }
    return {
      exitCode: end.code ?? undefined,
      signal: end.signal ?? undefined,
      timedOut: timedOut && !interrupted,
      forced,
      interrupted,
      spawnError: undefined,
      durationMs: Math.round(performance.now() - start),
    };
  } finally {
    timers.abort(); // nothing may outlive the login: no timer, no handler
    for (const [signal, handler] of handlers) process.off(signal, handler);
  }
}
