// The CLI check: `<cli> --version` must exit 0 within a timeout. Shared by smoke-test and doctor.
//
// node:child_process rather than execa, on purpose: this is the startup probe's path, and in the
// bundle, evaluating execa costs about 20 ms of a probe whose own work is a few ms (having it in
// the bundle at all costs every start about 6 ms; see src/login/run.ts). What execa would give
// here is a timeout and a kill, both below.
import { spawn } from 'node:child_process';
import { setTimeout as delay } from 'node:timers/promises';
import { errnoCode, ExitError, EXIT } from '../errors.js';
import { resolveExecutable } from '../supervise/command.js';

export type CliReason = 'ok' | 'missing' | 'not-executable' | 'exit-code' | 'signal' | 'timeout' | 'spawn-error';

export interface CliEvidence {
  operation: string;
  errno?: string | undefined;
  exitCode?: number | undefined;
  signal?: string | undefined;
  /** The end of what the CLI wrote on stderr. */
  stderrTail?: string | undefined;
}

export interface CliCheck {
  status: 'ok' | 'broken';
  reason: CliReason;
  /** The command as configured (codex, claude). */
  command: string;
  /** The executable found for it, if any. */
  path: string | undefined;
  /** The first line the CLI printed for --version. */
  version: string | undefined;
  /** One sentence for the operator (what failed and what to do). */
  message: string;
  evidence: CliEvidence;
}

export interface CliCheckOptions {
  command: string;
  searchPath: string;
  cwd: string;
  env: Record<string, string>;
  timeoutMs: number;
}

const MAX_CAPTURE = 64 * 1024;
/** After the CLI exits, how long its pipes may take to drain (a grandchild may hold them open). */
const DRAIN_MS = 200;

/** The last few lines of a CLI's stderr, trimmed, for evidence. */
export function tail(text: string, lines = 5, chars = 600): string | undefined {
  const kept = text.trimEnd().split('\n').slice(-lines).join('\n');
  const clipped = kept.length > chars ? kept.slice(-chars) : kept;
  return clipped.trim() === '' ? undefined : clipped;
}

function firstLine(text: string): string | undefined {
  const line = text.split('\n').find((candidate) => candidate.trim() !== '');
  return line?.trim().slice(0, 200);
}

function broken(options: CliCheckOptions, file: string | undefined, reason: CliReason, message: string, evidence: CliEvidence): CliCheck {
  return { status: 'broken', reason, command: options.command, path: file, version: undefined, message, evidence };
}

/** Finds the executable as the current user would; a CliCheck when there is none. */
export function locate(options: CliCheckOptions): string | CliCheck {
  try {
    return resolveExecutable(options.command, options.searchPath, options.cwd);
  } catch (error) {
    if (!(error instanceof ExitError)) throw error;
    const operation = `execvp(${options.command})`;
    if (error.exitCode === EXIT.notExecutable) {
      return broken(options, undefined, 'not-executable', `${error.message}`, { operation, errno: 'EACCES' });
    }
    return broken(options, undefined, 'missing', `${options.command} is not found in PATH (${options.searchPath}); install the pinned CLI in the image or fix PATH`, {
      operation,
      errno: 'ENOENT',
    });
  }
}

export interface Finished {
  code: number | null;
  signal: NodeJS.Signals | null;
  timedOut: boolean;
  error: Error | undefined;
  stdout: string;
  stderr: string;
}

/** Runs `file args...` in its own process group; kills the whole group when the timeout passes. */
export async function runCli(file: string, args: readonly string[], options: Pick<CliCheckOptions, 'cwd' | 'env' | 'timeoutMs'>): Promise<Finished> {
  const child = spawn(file, args, { cwd: options.cwd, env: options.env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout = (stdout + chunk.toString()).slice(0, MAX_CAPTURE)));
  child.stderr.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-MAX_CAPTURE)));
  const closed = new Promise<void>((resolve) => child.once('close', () => resolve()));
  const ended = new Promise<Pick<Finished, 'code' | 'signal' | 'error'>>((resolve) => {
    child.once('exit', (code, signal) => resolve({ code, signal, error: undefined }));
    child.once('error', (error) => resolve({ code: null, signal: null, error }));
  });
  let timedOut = false;
  const timer = new AbortController();
  delay(options.timeoutMs, undefined, { signal: timer.signal }).then(
    () => {
      timedOut = true;
      killGroup(child.pid);
    },
    () => {}, // cancelled: the CLI finished in time
  );
  const finished = await ended;
  timer.abort();
  const drain = new AbortController();
  await Promise.race([closed, delay(DRAIN_MS, undefined, { signal: drain.signal }).catch(() => {})]);
  drain.abort(); // no timer may outlive the check: the probe exits as soon as it has answered
  child.stdout.destroy();
  child.stderr.destroy();
  return { ...finished, timedOut, stdout, stderr };
}

function killGroup(pid: number | undefined): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    // already gone
  }
}

/** Runs `<command> --version` as the current user and says whether the CLI works. */
export async function checkCli(options: CliCheckOptions): Promise<CliCheck> {
  const located = locate(options);
  if (typeof located !== 'string') return located;
  const file = located;
  const operation = `${file} --version`;
  const run = await runCli(file, ['--version'], options);
  const stderrTail = tail(run.stderr);
  if (run.error) {
    const errno = errnoCode(run.error);
    const reason: CliReason = errno === 'ENOENT' ? 'missing' : errno === 'EACCES' ? 'not-executable' : 'spawn-error';
    return broken(options, file, reason, `${operation} could not be started (${errno ?? run.error.message}); check the file and its interpreter`, { operation, errno });
  }
  if (run.timedOut) {
    return broken(options, file, 'timeout', `${operation} did not finish within ${options.timeoutMs} ms (AGENT_SMOKE_TIMEOUT) and was killed; the CLI hangs or the node is overloaded`, {
      operation,
      signal: 'SIGKILL',
      stderrTail,
    });
  }
  if (run.signal) {
    return broken(options, file, 'signal', `${operation} was killed by ${run.signal}${stderrTail ? `: ${stderrTail.split('\n').at(-1)}` : ''}`, { operation, signal: run.signal, stderrTail });
  }
  if (run.code !== 0) {
    const said = stderrTail ? `: ${stderrTail.split('\n').at(-1)}` : ' (it printed nothing on stderr)';
    return broken(options, file, 'exit-code', `${operation} exited with ${run.code}${said}; reinstall the pinned CLI in the image`, {
      operation,
      exitCode: run.code ?? undefined,
      stderrTail,
    });
  }
  const version = firstLine(run.stdout) ?? firstLine(run.stderr);
  return { status: 'ok', reason: 'ok', command: options.command, path: file, version, message: `${operation} printed ${version ?? 'nothing'}`, evidence: { operation, exitCode: 0 } };
}
