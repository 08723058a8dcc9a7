// Shared pieces of the benchmarks: timing a command, statistics, paths, temp dirs.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export const ROOT = path.resolve(import.meta.dirname, '..');
export const BUNDLE = path.join(ROOT, 'dist/agent-entrypoint.cjs');
export const NODE = process.execPath;
export const PATH_ENV = `${path.dirname(NODE)}:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin`;

/** Runs a command to completion; resolves with wall time (ms), exit code, stdout and stderr. */
export function run(file, args, { env, cwd, input } = {}) {
  return new Promise((resolve, reject) => {
    const start = process.hrtime.bigint();
    const child = spawn(file, args, { env: env ?? { PATH: PATH_ENV }, cwd, stdio: [input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    if (input !== undefined) child.stdin.end(input);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      resolve({ ms: Number(process.hrtime.bigint() - start) / 1e6, code, signal, stdout, stderr });
    });
  });
}

/** Like run(), but fails loudly on a non-zero exit (a benchmark of a failing command measures nothing). */
export async function runOk(file, args, options) {
  const result = await run(file, args, options);
  if (result.code !== 0) throw new Error(`${file} ${args.join(' ')} exited ${result.code}: ${result.stderr.slice(-2000)}`);
  return result;
}

/** The `ms` a step reported in the bundle's JSON log (stderr). */
export function stepMs(stderr, step) {
  for (const line of stderr.split('\n')) {
    if (!line.startsWith('{')) continue;
    const record = JSON.parse(line);
    if (record.step === step && typeof record.ms === 'number') return record;
  }
  throw new Error(`no "${step}" step in the log:\n${stderr.slice(-2000)}`);
}

export function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

export function percentile(values, p) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

const temps = [];
/** A temp directory (0755, so the agent uid can traverse it), removed when the run ends. */
export function tempDir(prefix = 'ae-bench-') {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  fs.chmodSync(dir, 0o755);
  temps.push(dir);
  return dir;
}
export function removeTempDirs() {
  for (const dir of temps.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
}

/** Environment for the bundle against a slot under `root`. */
export function slotEnv(root, agent = 'codex', extra = {}) {
  return {
    PATH: PATH_ENV,
    AGENT: agent,
    AGENT_HOME: path.join(root, 'home'),
    AGENT_SHARED_HOME: path.join(root, 'agent-home'),
    AGENT_DEFAULTS_DIR: path.join(root, 'defaults'),
    AGENT_OVERLAY_DIR: path.join(root, 'overlay'),
    AGENT_REFRESH: 'off',
    AGENT_RELOAD: 'off',
    ...extra,
  };
}

/** Clock ticks per second of the CPU times in /proc (USER_HZ). */
export const CLOCK_TICKS = Number((await runOk('getconf', ['CLK_TCK'])).stdout.trim()) || 100;

/** utime + stime, in clock ticks, from a /proc/.../stat file (fields 14 and 15, counted after the command name). */
export function cpuTicks(statFile) {
  const stat = fs.readFileSync(statFile, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(fields[11]) + Number(fields[12]);
}

/** utime + stime of a process so far, in ms. */
export function cpuMs(pid) {
  return (cpuTicks(`/proc/${pid}/stat`) * 1000) / CLOCK_TICKS;
}
