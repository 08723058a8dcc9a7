// The watchdog that keeps running: `refresh` without --once (a sidecar) and the service inside
// run mode. Faults do not stop it, transient ones back off, a permanent one is reported loudly
// and then checked at the normal interval; it stops cleanly and never leaks a token to a child.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { FIXTURES, NODE, parseStderr, runBundle, startBundle } from '../helpers/bundle.js';
import { childrenOf, until, waitForOutput } from '../helpers/process.js';
import { tempDir } from '../helpers/tree.js';
import { useTokenServer, type Fault, type TokenServer } from '../helpers/token-server.js';
import { expectNoSecrets, readJson, refreshSlot, strays } from '../helpers/refresh.js';

let server: TokenServer;
useTokenServer((started) => (server = started));

const HOUR = 3_600_000;
const FAST = { AGENT_REFRESH_BACKOFF: '100ms', AGENT_REFRESH_BACKOFF_MAX: '400ms', AGENT_REFRESH_INTERVAL: '1h', LOG_LEVEL: 'debug' };

function dueCodexSlot(env: Record<string, string> = {}) {
  const doc = server.issueCodex({ expiresAtMs: Date.now() + HOUR });
  return { doc, slot: refreshSlot('codex', server, doc, { ...FAST, ...env }) };
}

/** Starts the sidecar and collects its stderr as it goes. */
function startDaemon(env: Record<string, string>) {
  const proc = startBundle(['refresh'], { env });
  let stderr = '';
  proc.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return { proc, logs: () => parseStderr(stderr).logs, stderr: () => stderr };
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

const refreshLogs = (logs: Array<Record<string, unknown>>) => logs.filter((log) => log.step === 'refresh' && typeof log.outcome === 'string');

describe('refresh as a sidecar (no --once)', () => {
  it('backs off after 503s, then refreshes, and keeps running; SIGTERM ends it with 0', async () => {
    const { doc, slot } = dueCodexSlot();
    const bytes = fs.readFileSync(slot.file);
    server.faults.push({ kind: 'status', status: 503 }, { kind: 'status', status: 503 }, { kind: 'status', status: 503 });
    const daemon = startDaemon(slot.env);
    await until(() => refreshLogs(daemon.logs()).some((log) => log.outcome === 'refreshed'), 15_000);
    const checks = refreshLogs(daemon.logs());
    expect(checks.map((log) => log.outcome)).toEqual(['fail:transient_http_503', 'fail:transient_http_503', 'fail:transient_http_503', 'refreshed']);
    // Backoff: 100 ms doubling (capped at 400 ms), +-20%: the scheduled delays the daemon logged.
    checks.slice(0, 3).forEach((log, index) => {
      const delay = Date.parse(String(log.nextCheck)) - Date.parse(String(log.time));
      const base = Math.min(400, 100 * 2 ** index);
      expect(log.failures).toBe(index + 1);
      expect(delay).toBeGreaterThanOrEqual(base * 0.8 - 2);
      expect(delay).toBeLessThanOrEqual(base * 1.2 + 2);
    });
    expect(fs.readFileSync(slot.file).equals(bytes)).toBe(false);
    expect(readJson(slot.file).tokens).toMatchObject({ refresh_token: server.liveToken() });
    expect(readJson(slot.statusFile).watchdog_last_outcome).toBe('refreshed');
    expect(isRunning(daemon.proc.pid!)).toBe(true);
    daemon.proc.kill('SIGTERM');
    const result = await daemon.proc;
    expect(result.exitCode).toBe(0);
    expect(strays(slot)).toEqual([]);
    expectNoSecrets({ stderr: daemon.stderr(), stdout: String(result.stdout) }, [...server.minted, doc.tokens.refresh_token]);
  });

  it('survives every kind of fault with the file untouched, then refreshes once', async () => {
    const { slot } = dueCodexSlot({ AGENT_REFRESH_TIMEOUT: '300ms' });
    const original = readJson(slot.file);
    const faults: Fault[] = [
      { kind: 'status', status: 500 },
      { kind: 'non-json' },
      { kind: 'wrong-shape' },
      { kind: 'huge', bytes: 10 * 1024 * 1024 },
      { kind: 'slow', ms: 1500 },
      { kind: 'status', status: 429 },
    ];
    server.faults.push(...faults);
    // At every request (the six faults and the final success) the file is still the original.
    const bytes = fs.readFileSync(slot.file);
    const untouched: boolean[] = [];
    for (let i = 0; i <= faults.length; i++) server.hooks.push(() => void untouched.push(fs.readFileSync(slot.file).equals(bytes)));
    const rotations = server.rotations();
    const daemon = startDaemon(slot.env);
    await until(() => refreshLogs(daemon.logs()).some((log) => log.outcome === 'refreshed'), 20_000);
    expect(refreshLogs(daemon.logs()).map((log) => log.outcome)).toEqual([
      'fail:transient_http_500',
      'fail:transient_invalid_response',
      'fail:transient_invalid_response',
      'fail:transient_response_too_large',
      'fail:transient_timeout',
      'fail:transient_http_429',
      'refreshed',
    ]);
    expect(untouched).toEqual(Array.from({ length: faults.length + 1 }, () => true));
    expect(server.rotations()).toBe(rotations + 1);
    expect(server.spent.has((original.tokens as { refresh_token: string }).refresh_token)).toBe(true);
    expect(isRunning(daemon.proc.pid!)).toBe(true);
    daemon.proc.kill('SIGTERM');
    expect((await daemon.proc).exitCode).toBe(0);
  });

  it('after a permanent failure: one loud error with the remedy, then the normal interval', async () => {
    const { slot } = dueCodexSlot({ AGENT_REFRESH_INTERVAL: '2h' });
    const bytes = fs.readFileSync(slot.file);
    server.faults.push({ kind: 'error', code: 'refresh_token_expired' });
    const daemon = startDaemon(slot.env);
    await until(() => refreshLogs(daemon.logs()).length > 0, 15_000);
    const [check] = refreshLogs(daemon.logs());
    expect(check).toMatchObject({ level: 'error', outcome: 'fail:permanent_refresh_token_expired' });
    expect(String(check!.msg)).toContain('auth-init');
    const delay = Date.parse(String(check!.nextCheck)) - Date.parse(String(check!.time));
    expect(delay).toBeGreaterThan(2 * HOUR - 5 * 60_000 - 1000);
    expect(delay).toBeLessThanOrEqual(2 * HOUR);
    expect(fs.readFileSync(slot.file).equals(bytes)).toBe(true);
    expect(isRunning(daemon.proc.pid!)).toBe(true);
    daemon.proc.kill('SIGTERM');
    expect((await daemon.proc).exitCode).toBe(0);
  });

  it('finishes a request in flight before stopping: a redeemed token is never abandoned', async () => {
    const { slot } = dueCodexSlot({ AGENT_REFRESH_TIMEOUT: '10s' });
    let arrived!: () => void;
    const requestArrived = new Promise<void>((resolve) => (arrived = resolve));
    server.hooks.push(() => arrived());
    server.faults.push({ kind: 'slow', ms: 800 });
    const daemon = startDaemon(slot.env);
    await requestArrived;
    daemon.proc.kill('SIGTERM');
    const result = await daemon.proc;
    expect(result.exitCode).toBe(0);
    expect(readJson(slot.file).tokens).toMatchObject({ refresh_token: server.liveToken() });
    expect(readJson(slot.statusFile).watchdog_last_outcome).toBe('refreshed');
    expect(strays(slot)).toEqual([]);
  });

  it('with AGENT_REFRESH=off it idles (a sidecar must not crash-loop) and stops on SIGTERM', async () => {
    const { slot } = dueCodexSlot({ AGENT_REFRESH: 'off' });
    const daemon = startDaemon(slot.env);
    await until(() => daemon.stderr().includes('idle until stopped'));
    daemon.proc.kill('SIGTERM');
    expect((await daemon.proc).exitCode).toBe(0);
    expect(fs.existsSync(slot.statusFile)).toBe(false);
  });
});

/** Reads a process's argv and environment as the kernel shows them. */
function procView(pid: number): string {
  return ['cmdline', 'environ'].map((name) => fs.readFileSync(`/proc/${pid}/${name}`, 'utf8')).join('\n');
}

describe('inside run mode', () => {
  it('refreshes before the child starts: the child reads the refreshed file', async () => {
    const { slot } = dueCodexSlot({ AGENT_REFRESH_INTERVAL: '6h' });
    // The child's copy of what it read is a credentials file (the secret hygiene scan allows those).
    const seen = path.join(tempDir(), 'auth.json');
    fs.chmodSync(path.dirname(seen), 0o777);
    const result = await runBundle([NODE, path.join(FIXTURES, 'copy-file.mjs'), slot.file, seen], { env: slot.env });
    expect(result.exitCode, result.stderr).toBe(0);
    expect(fs.readFileSync(seen, 'utf8')).toBe(fs.readFileSync(slot.file, 'utf8'));
    expect(readJson(seen).tokens).toMatchObject({ refresh_token: server.liveToken() });
    const order = result.logs.map((log) => (log.step === 'refresh' ? 'refresh' : log.msg === 'child started' ? 'child' : undefined)).filter(Boolean);
    expect(order.slice(0, 2)).toEqual(['refresh', 'child']);
  });

  it('keeps refreshing while the child runs, stops with it, and no token reaches the child', async () => {
    // Tokens that live 1 h against a 4 h margin are due again right away: a check every interval.
    server.lifetimeMs = HOUR;
    const { doc, slot } = dueCodexSlot({ AGENT_REFRESH_INTERVAL: '200ms' });
    const start = server.rotations();
    const proc = startBundle([NODE, path.join(FIXTURES, 'signals.mjs'), 'die'], { env: slot.env });
    let stderr = '';
    proc.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    await waitForOutput(proc.stdout, 'READY');
    await until(() => server.rotations() >= start + 3, 15_000);
    const child = await until(() => childrenOf(proc.pid!)[0]);
    const secrets = [...server.minted, doc.tokens.refresh_token];
    expectNoSecrets({ 'the child argv and environment': procView(child), 'the supervisor argv and environment': procView(proc.pid!) }, secrets);
    proc.kill('SIGTERM');
    const result = await proc;
    expect(result.exitCode).toBe(143);
    const after = server.requests.length;
    await new Promise((resolve) => setTimeout(resolve, 600));
    expect(server.requests.length).toBe(after);
    expect(readJson(slot.file).tokens).toMatchObject({ refresh_token: server.liveToken() });
    expect(strays(slot)).toEqual([]);
    expectNoSecrets({ stderr, stdout: String(result.stdout), 'status file': fs.readFileSync(slot.statusFile, 'utf8') }, secrets);
  });

  it('SIGTERM during the check before the child: the refresh completes, then it stops without starting the child', async () => {
    const { slot } = dueCodexSlot({ AGENT_REFRESH_TIMEOUT: '10s' });
    let arrived!: () => void;
    const requestArrived = new Promise<void>((resolve) => (arrived = resolve));
    server.hooks.push(() => arrived());
    server.faults.push({ kind: 'slow', ms: 800 });
    const seen = path.join(tempDir(), 'auth.json');
    fs.chmodSync(path.dirname(seen), 0o777);
    const proc = startBundle([NODE, path.join(FIXTURES, 'copy-file.mjs'), slot.file, seen], { env: slot.env });
    await requestArrived;
    proc.kill('SIGTERM');
    const result = await proc;
    // The boot guard holds the stop and ends the boot with 128+15 (no child was started).
    expect(result.exitCode).toBe(143);
    expect(fs.existsSync(seen)).toBe(false);
    expect(readJson(slot.file).tokens).toMatchObject({ refresh_token: server.liveToken() });
    expect(strays(slot)).toEqual([]);
  });

  it('a failing check never blocks the start: 503 and a dead token both start the child', async () => {
    for (const fault of [{ kind: 'status', status: 503 }, { kind: 'error', code: 'refresh_token_invalidated' }] as Fault[]) {
      const { slot } = dueCodexSlot();
      server.faults.push(fault);
      const result = await runBundle([NODE, path.join(FIXTURES, 'exit-with.mjs'), '7'], { env: slot.env });
      expect(result.exitCode, result.stderr).toBe(7);
      expect(result.logs.some((log) => log.step === 'refresh' && String(log.outcome).startsWith('fail:'))).toBe(true);
    }
  });

  it('with AGENT_REFRESH=off nothing is checked', async () => {
    const { slot } = dueCodexSlot({ AGENT_REFRESH: 'off' });
    const requests = server.requests.length;
    const result = await runBundle(['true'], { env: slot.env });
    expect(result.exitCode).toBe(0);
    expect(server.requests.length).toBe(requests);
    expect(fs.existsSync(slot.statusFile)).toBe(false);
  });
});
