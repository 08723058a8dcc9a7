// Runs the login command with inherited stdio (its URL and one-time code reach the job log or the
// attached terminal), bounded by AGENT_AUTH_INIT_TIMEOUT: SIGTERM, then SIGKILL after
// AGENT_STOP_GRACE. SIGTERM, SIGINT and SIGHUP sent to this process are passed on to it.
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

export async function runLogin(login: LoginCommand, options: LoginOptions): Promise<LoginRun> {
  // Loaded here, not at the top: only auth-init needs execa, and run mode's start-up is measured.
  const { execa } = await import('execa');
  const [file, ...args] = login.argv;
  const start = performance.now();
  const subprocess = execa(file, args, {
    stdio: 'inherit',
    env: options.env,
    extendEnv: false,
    cwd: options.cwd,
    timeout: options.timeoutMs,
    killSignal: 'SIGTERM',
    forceKillAfterDelay: options.graceMs,
    reject: false,
  });
  let interrupted: NodeJS.Signals | undefined;
  const handlers = FORWARDED.map((signal) => {
    const handler = () => {
      interrupted ??= signal;
      subprocess.kill(signal);
    };
    process.on(signal, handler);
    return [signal, handler] as const;
  });
  try {
    const result = await subprocess;
    const spawnError = result.failed && result.exitCode === undefined && result.signal === undefined && !result.timedOut ? (result.code ?? result.shortMessage ?? 'spawn failed') : undefined;
    return {
      exitCode: result.exitCode,
      signal: result.signal,
      timedOut: result.timedOut,
      forced: result.isForcefullyTerminated,
      interrupted,
      spawnError,
      durationMs: Math.round(performance.now() - start),
    };
  } finally {
    for (const [signal, handler] of handlers) process.off(signal, handler);
  }
}
