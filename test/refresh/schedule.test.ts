// The watchdog loop over simulated weeks: an injected clock makes hours pass instantly, while the
// checks are real (real files, a real token server whose tokens expire on that same clock).
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/log/logger.js';
import type { Clock } from '../../src/refresh/clock.js';
import { refreshLoop } from '../../src/refresh/runner.js';
import { loadSettings } from '../../src/settings/env.js';
import { removeTempDirs, tempDir } from '../helpers/tree.js';
import { startTokenServer, type TokenServer } from '../helpers/token-server.js';

const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;
const START = Date.UTC(2026, 5, 1);

let server: TokenServer | undefined;
afterEach(async () => {
  await server?.close();
  removeTempDirs();
});

interface Check {
  at: number;
  outcome: string;
  /** The access token's expiry as the file said just before this check. */
  expiresAt: number;
}

/**
 * Runs the loop until the simulated clock passes `days`, recording every timer it asked for and
 * every check's outcome (from the status file it wrote).
 */
async function simulate(options: { days: number; env?: Record<string, string>; setup?: (server: TokenServer) => void }) {
  let now = START;
  server = await startTokenServer({ now: () => now, lifetimeMs: 10 * HOUR });
  options.setup?.(server);
  const home = tempDir();
  const configDir = path.join(home, '.codex');
  fs.mkdirSync(configDir);
  const file = path.join(configDir, 'auth.json');
  fs.writeFileSync(file, JSON.stringify(server.issueCodex({ expiresAtMs: now + 10 * HOUR })), { mode: 0o600 });
  const settings = loadSettings({ AGENT: 'codex', AGENT_HOME: home, AGENT_REFRESH: 'on', CODEX_REFRESH_TOKEN_URL_OVERRIDE: server.url('codex'), ...options.env });
  const controller = new AbortController();
  const sleeps: number[] = [];
  const checks: Check[] = [];
  const expiry = () => {
    const token = (JSON.parse(fs.readFileSync(file, 'utf8')) as { tokens: { access_token: string } }).tokens.access_token;
    return (JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()) as { exp: number }).exp * 1000;
  };
  let expiresAt = expiry();
  const status = path.join(configDir, 'auth_refresh_status.json');
  const clock: Clock = {
    now: () => now,
    random: () => 0.5,
    async sleep(ms, signal) {
      if (signal?.aborted) return false;
      if (fs.existsSync(status)) {
        const value = JSON.parse(fs.readFileSync(status, 'utf8')) as { watchdog_last_outcome: string; watchdog_last_run_iso: string };
        const at = Date.parse(value.watchdog_last_run_iso);
        if (checks.at(-1)?.at !== at) checks.push({ at, outcome: value.watchdog_last_outcome, expiresAt });
      }
      expiresAt = expiry();
      sleeps.push(ms);
      now += ms;
      if (now > START + options.days * DAY) controller.abort();
      await new Promise((resolve) => setImmediate(resolve));
      return !controller.signal.aborted;
    },
  };
  await refreshLoop({ settings, log: silentLogger(), clock, signal: controller.signal });
  return { sleeps, checks, server };
}

describe('the refresh schedule (injected clock)', () => {
  it('over 30 simulated days: the token never expires, refreshes come when due, and there are no busy wake-ups', async () => {
    const { sleeps, checks, server } = await simulate({ days: 30 });
    // 10 h tokens, 4 h margin: due every 6 h; checked within minutes of it.
    expect(server.rotations()).toBeGreaterThanOrEqual(30 * 4 - 2);
    expect(server.rotations()).toBeLessThanOrEqual(30 * 4 + 1);
    for (const check of checks) expect(check.expiresAt - check.at, `check at ${new Date(check.at).toISOString()}`).toBeGreaterThan(3 * HOUR);
    expect(checks.every((check) => !check.outcome.startsWith('fail:'))).toBe(true);
    // After the first check (at once), no timer shorter than a minute: nothing wakes up in between.
    expect(Math.min(...sleeps.slice(1))).toBeGreaterThanOrEqual(MIN - 5_000);
    expect(checks.length).toBeLessThan(30 * 4 * 4);
  });

  it('the first check comes at the due time (the sooner of interval and margin), minus a little jitter', async () => {
    const { sleeps, checks } = await simulate({ days: 0.5 });
    expect(sleeps[0]).toBe(0);
    expect(checks[0]!.outcome).toBe('skip:not_due');
    // Due at 6 h (10 h expiry - 4 h margin) = the interval: 6 h minus half of the 5 min jitter cap.
    expect(sleeps[1]).toBe(6 * HOUR - 2.5 * MIN);
  });

  it('transient failures back off 1, 2, 4, 8, 16, 30, 30 min, then the refresh succeeds', async () => {
    const { sleeps, checks } = await simulate({
      days: 0.5,
      env: { AGENT_REFRESH_MARGIN: '11h' },
      setup: (server) => server.faults.push(...Array.from({ length: 7 }, () => ({ kind: 'status' as const, status: 503 }))),
    });
    expect(checks.slice(0, 8).map((check) => check.outcome)).toEqual([...Array.from({ length: 7 }, () => 'fail:transient_http_503'), 'refreshed']);
    expect(sleeps.slice(1, 8)).toEqual([1, 2, 4, 8, 16, 30, 30].map((m) => m * MIN));
  });

  it('a permanent failure waits the normal interval, then tries again (an operator may have re-authenticated)', async () => {
    const { sleeps, checks } = await simulate({
      days: 0.5,
      env: { AGENT_REFRESH_MARGIN: '11h', AGENT_REFRESH_INTERVAL: '2h' },
      setup: (server) => server.faults.push({ kind: 'error', code: 'refresh_token_invalidated' }),
    });
    expect(checks.slice(0, 2).map((check) => check.outcome)).toEqual(['fail:permanent_refresh_token_invalidated', 'refreshed']);
    expect(sleeps[1]).toBe(2 * HOUR - 2.5 * MIN);
  });
});
