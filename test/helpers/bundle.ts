// Runs the built single-file bundle as a real process and collects what it printed.
import { execa, type Options, type ResultPromise } from 'execa';
import path from 'node:path';
import { bundleTmpDir, hygiene } from './hygiene.js';

export const ROOT = path.resolve(import.meta.dirname, '../..');
export const BUNDLE = path.join(ROOT, 'dist/agent-entrypoint.cjs');
export const FIXTURES = path.join(ROOT, 'test/fixtures');
/** The Node binary running the tests (Node 24 from node_modules when run through npm). */
export const NODE = process.execPath;

/** Wraps a command so that it runs as PID 1 of a new PID namespace (with its own /proc). */
export const PID_NAMESPACE = ['unshare', '--pid', '--fork', '--mount-proc'];

export interface BundleResult {
  exitCode: number | undefined;
  signal: string | undefined;
  stdout: string;
  stderr: string;
  /** stderr lines that are JSON log records. */
  logs: Array<Record<string, unknown>>;
  /** stderr lines that are not JSON (FATAL lines, probe sentences). */
  plain: string[];
}

export function parseStderr(stderr: string): { logs: Array<Record<string, unknown>>; plain: string[] } {
  const logs: Array<Record<string, unknown>> = [];
  const plain: string[] = [];
  for (const line of stderr.split('\n')) {
    if (line.trim() === '') continue;
    try {
      const value = JSON.parse(line) as unknown;
      if (value && typeof value === 'object' && !Array.isArray(value)) logs.push(value as Record<string, unknown>);
      else plain.push(line);
    } catch {
      plain.push(line);
    }
  }
  return { logs, plain };
}

export interface BundleOptions {
  env?: Record<string, string | undefined>;
  cwd?: string;
  timeout?: number;
  input?: string;
  /** Prefix the command (e.g. ['unshare', '--pid', '--fork', '--mount-proc']). */
  wrap?: string[];
}

/**
 * The base environment for the bundle: PATH, and a TMPDIR of its own whose content the secret
 * hygiene scan reads (test/helpers/hygiene.ts); tests add the rest explicitly.
 */
export function baseEnv(): Record<string, string> {
  return { PATH: `${path.dirname(NODE)}:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin`, TMPDIR: bundleTmpDir() };
}

/** Starts the bundle without waiting (for signal tests). */
export function startBundle(args: readonly string[], options: BundleOptions = {}): ResultPromise<Options & { reject: false }> {
  const [file, ...prefix] = [...(options.wrap ?? []), NODE];
  const env = { ...baseEnv(), ...options.env };
  const proc = execa(file!, [...prefix, BUNDLE, ...args], {
    env,
    extendEnv: false,
    cwd: options.cwd ?? ROOT,
    reject: false,
    timeout: options.timeout ?? 60_000,
    input: options.input,
    stdin: options.input === undefined ? 'ignore' : 'pipe',
    cleanup: true,
  }) as ResultPromise<Options & { reject: false }>;
  // Secret hygiene: what the run was given, what its children get, and what it prints.
  hygiene.noteEnvironment(env);
  const stop = proc.pid === undefined ? () => undefined : hygiene.watchChildren(proc.pid, env, BUNDLE);
  void proc.then((result) => {
    stop();
    const label = `agent-entrypoint ${args.slice(0, 2).join(' ')}`;
    hygiene.scanOutput(`stdout of ${label}`, String(result.stdout ?? ''));
    hygiene.scanOutput(`stderr of ${label}`, String(result.stderr ?? ''));
  });
  return proc;
}

export async function runBundle(args: readonly string[], options: BundleOptions = {}): Promise<BundleResult> {
  const result = await startBundle(args, options);
  const stdout = String(result.stdout ?? '');
  const stderr = String(result.stderr ?? '');
  return { exitCode: result.exitCode, signal: result.signal, stdout, stderr, ...parseStderr(stderr) };
}
