// The refresher's pure parts (due decision, schedule, error classification, serialisation) and
// its lock, in process with real files.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { classifyError, errorCode } from '../../src/refresh/classify.js';
import { systemClock, type Clock } from '../../src/refresh/clock.js';
import { decideDue } from '../../src/refresh/decide.js';
import { acquireLock, hostIdentity, isStale, LockBusyError, releaseLock, type LockRecord } from '../../src/refresh/lock.js';
import type { CheckResult } from '../../src/refresh/outcome.js';
import { backoffDelay, nextCheckDelay } from '../../src/refresh/schedule.js';
import { serializeLike } from '../../src/refresh/write.js';
import { loadSettings } from '../../src/settings/env.js';
import { removeTempDirs, tempDir } from '../helpers/tree.js';

afterEach(removeTempDirs);

const MIN = 60_000;
const HOUR = 60 * MIN;
const NOW = Date.UTC(2026, 0, 1);

describe('when a refresh is due', () => {
  const base = { usesMaxAge: true, marginMs: 4 * HOUR, maxAgeMs: 7 * 24 * HOUR, now: NOW };
  it.each([
    ['expiry beyond the margin', { expiresAtMs: NOW + 5 * HOUR, lastRefreshMs: NOW }, false, NOW + HOUR, 'expiry'],
    ['expiry within the margin', { expiresAtMs: NOW + 3 * HOUR, lastRefreshMs: NOW }, true, NOW - HOUR, 'expiry'],
    ['already expired', { expiresAtMs: NOW - HOUR, lastRefreshMs: NOW }, true, NOW - 5 * HOUR, 'expiry'],
    ['last_refresh too old', { expiresAtMs: NOW + 48 * HOUR, lastRefreshMs: NOW - 8 * 24 * HOUR }, true, NOW - 24 * HOUR, 'max_age'],
    ['only the expiry readable', { expiresAtMs: NOW + 5 * HOUR, lastRefreshMs: undefined }, false, NOW + HOUR, 'expiry'],
    ['only last_refresh readable and fresh', { expiresAtMs: undefined, lastRefreshMs: NOW }, false, NOW + 7 * 24 * HOUR, 'max_age'],
    ['neither readable', { expiresAtMs: undefined, lastRefreshMs: undefined }, true, NOW, 'unreadable'],
  ])('%s', (_name, times, due, dueAtMs, cause) => {
    expect(decideDue({ ...base, ...times })).toEqual({ due, dueAtMs, cause });
  });

  it('claude ignores last_refresh (its file has none)', () => {
    expect(decideDue({ ...base, usesMaxAge: false, marginMs: HOUR, expiresAtMs: NOW + 2 * HOUR, lastRefreshMs: NOW - 30 * 24 * HOUR }).due).toBe(false);
  });
});

describe('schedule', () => {
  const settings = { intervalMs: 6 * HOUR, backoffMs: MIN, backoffMaxMs: 30 * MIN };
  const result = (outcome: CheckResult['outcome'], state: CheckResult['state'] = {}): CheckResult => ({ outcome, state, message: '', at: NOW });

  it('backs off 1 min doubling to a 30 min cap, +-20% jitter', () => {
    expect([1, 2, 3, 4, 5, 6, 7, 50].map((failures) => backoffDelay(failures, settings, 0.5))).toEqual([1, 2, 4, 8, 16, 30, 30, 30].map((m) => m * MIN));
    expect(backoffDelay(1, settings, 0)).toBe(0.8 * MIN);
    expect(backoffDelay(1, settings, 0.999999)).toBeCloseTo(1.2 * MIN, -2);
    expect(backoffDelay(6, settings, 0.999999)).toBe(30 * MIN);
  });

  it('checks at the sooner of the interval and the due time, up to 5 min early', () => {
    const dueIn = (ms: number) => result({ kind: 'skip', reason: 'not_due' }, { dueAtMs: NOW + ms });
    expect(nextCheckDelay(dueIn(HOUR), 0, settings, 0)).toBe(HOUR);
    expect(nextCheckDelay(dueIn(HOUR), 0, settings, 0.999)).toBeGreaterThanOrEqual(HOUR - 5 * MIN);
    expect(nextCheckDelay(dueIn(10 * HOUR), 0, settings, 0)).toBe(6 * HOUR);
    expect(nextCheckDelay(dueIn(10 * HOUR), 0, settings, 0.999)).toBeGreaterThanOrEqual(6 * HOUR - 5 * MIN);
    // Never closer than a minute: no busy wake-ups near the due time.
    expect(nextCheckDelay(dueIn(1000), 0, settings, 0)).toBe(MIN);
  });

  it('after a permanent failure or a skip it has nothing to watch: the interval', () => {
    expect(nextCheckDelay(result({ kind: 'permanent', reason: 'http_401' }, { dueAtMs: NOW - HOUR }), 0, settings, 0)).toBe(6 * HOUR);
    expect(nextCheckDelay(result({ kind: 'skip', reason: 'no_auth_json' }), 0, settings, 0)).toBe(6 * HOUR);
  });

  it('tokens that live shorter than the margin: halfway to expiry, not every minute', () => {
    const refreshed = result({ kind: 'refreshed' }, { dueAtMs: NOW - 3 * HOUR, expiresAtMs: NOW + HOUR });
    expect(nextCheckDelay(refreshed, 0, settings, 0)).toBe(30 * MIN);
  });
});

describe('token endpoint errors', () => {
  it.each([
    ['{"error":{"code":"refresh_token_reused","message":"x"}}', 'refresh_token_reused'],
    ['{"error":"invalid_grant","error_description":"x"}', 'invalid_grant'],
    ['{"code":"REFRESH_TOKEN_EXPIRED"}', 'refresh_token_expired'],
    ['<html>', undefined],
    ['[]', undefined],
  ])('errorCode(%s)', (text, code) => expect(errorCode(text)).toBe(code));

  it.each([
    [401, '{"error":{"code":"refresh_token_expired"}}', 'permanent', 'refresh_token_expired'],
    [400, '{"error":"invalid_grant"}', 'permanent', 'invalid_grant'],
    [401, '{"error":"something_else"}', 'permanent', 'http_401'],
    [401, '', 'permanent', 'http_401'],
    [400, '{"error":"invalid_request"}', 'transient', 'http_400'],
    [408, '', 'transient', 'http_408'],
    [429, '{"error":"rate_limited"}', 'transient', 'http_429'],
    [500, '{"error":"invalid_grant"}', 'transient', 'http_500'],
    [503, '', 'transient', 'http_503'],
  ])('HTTP %d %s', (status, text, kind, detail) => {
    const outcome = classifyError(status, text);
    expect(outcome.kind).toBe(kind);
    expect(outcome.kind === 'permanent' ? outcome.reason : outcome.kind === 'transient' ? outcome.code : undefined).toBe(detail);
  });
});

describe('serialisation keeps the file style', () => {
  it.each([
    ['{\n  "a": 1\n}\n', '{\n  "a": 2\n}\n'],
    ['{\n    "a": 1\n}', '{\n    "a": 2\n}'],
    ['{\n\t"a": 1\n}\n', '{\n\t"a": 2\n}\n'],
    ['{"a":1}', '{"a":2}'],
  ])('%j', (original, expected) => expect(serializeLike(original, { a: 2 })).toBe(expected));
});

describe('the lock', () => {
  /** A clock whose sleeps take no time. */
  const instant = (): Clock => {
    let now = Date.now();
    return { now: () => now, random: () => 0.5, sleep: async (ms) => ((now += ms), true) };
  };
  const record = (overrides: Partial<LockRecord>): LockRecord => ({
    pid: 999_999,
    host: hostIdentity(),
    start: undefined,
    nonce: 'n',
    acquired_iso: new Date().toISOString(),
    expires_iso: new Date(Date.now() + HOUR).toISOString(),
    ...overrides,
  });

  it('is exclusive, 0600, and released only by its holder', async () => {
    const file = path.join(tempDir(), 'auth.json.lock');
    const lock = await acquireLock(file, { holdMs: MIN, waitMs: 0, clock: systemClock });
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    await expect(acquireLock(file, { holdMs: MIN, waitMs: 300, clock: instant() })).rejects.toBeInstanceOf(LockBusyError);
    expect(releaseLock({ file, record: { ...lock.record, nonce: 'someone else' } })).toBe(false);
    expect(releaseLock(lock)).toBe(true);
    expect(fs.existsSync(file)).toBe(false);
  });

  it('breaks a lock whose holder died on this host, at once', async () => {
    const file = path.join(tempDir(), 'auth.json.lock');
    const dead = Number(execFileSync('sh', ['-c', 'sh -c "echo \\$\\$" & wait'], { encoding: 'utf8' }).trim());
    fs.writeFileSync(file, JSON.stringify(record({ pid: dead })));
    const lock = await acquireLock(file, { holdMs: MIN, waitMs: 0, clock: systemClock });
    expect(lock.record.pid).toBe(process.pid);
  });

  it('treats a reused pid (another start time) as dead', () => {
    expect(isStale(record({ pid: process.ppid, start: '1' }), Date.now(), Date.now())).toBe(true);
  });

  it('never breaks a live holder on this host before its deadline, nor a foreign host\'s', () => {
    expect(isStale(record({ pid: process.ppid }), Date.now(), Date.now())).toBe(false);
    expect(isStale(record({ host: 'other-pod/boot/pid:[1]' }), Date.now(), Date.now())).toBe(false);
  });

  it('breaks any lock past its holder\'s own deadline (another pod that crashed)', () => {
    expect(isStale(record({ host: 'other-pod/boot/pid:[1]', expires_iso: new Date(Date.now() - 1).toISOString() }), Date.now(), Date.now())).toBe(true);
  });

  it('an unreadable lock (holder died mid-write) is stale only after a minute', () => {
    expect(isStale(undefined, Date.now() - 10_000, Date.now())).toBe(false);
    expect(isStale(undefined, Date.now() - 2 * MIN, Date.now())).toBe(true);
  });

  it('waits for a live holder and gets the lock once it is released', async () => {
    const file = path.join(tempDir(), 'auth.json.lock');
    const first = await acquireLock(file, { holdMs: MIN, waitMs: 0, clock: systemClock });
    setTimeout(() => releaseLock(first), 100);
    const second = await acquireLock(file, { holdMs: MIN, waitMs: 5_000, clock: systemClock });
    expect(second.record.nonce).not.toBe(first.record.nonce);
    releaseLock(second);
  });
});

describe('refresh settings', () => {
  it('defaults: on, 4 h (codex) / 1 h (claude) margin, 7 d max age, 6 h interval, 30 s timeout, 1 min backoff to 30 min', () => {
    const { refresh } = loadSettings({ AGENT: 'codex' });
    expect(refresh).toEqual({
      enabled: true,
      marginMs: 4 * HOUR,
      maxAgeMs: 7 * 24 * HOUR,
      intervalMs: 6 * HOUR,
      timeoutMs: 30_000,
      backoffMs: MIN,
      backoffMaxMs: 30 * MIN,
      codexTokenUrl: 'https://auth.openai.com/oauth/token',
      claudeTokenUrl: 'https://platform.claude.com/v1/oauth/token',
    });
    expect(loadSettings({ AGENT: 'claude' }).refresh.marginMs).toBe(HOUR);
  });

  it('accepts https token URLs anywhere and http only on this machine', () => {
    expect(loadSettings({ AGENT: 'codex', CODEX_REFRESH_TOKEN_URL_OVERRIDE: 'https://auth.example.com/oauth/token' }).refresh.codexTokenUrl).toBe('https://auth.example.com/oauth/token');
    for (const url of ['http://127.0.0.1:8080/t', 'http://127.9.9.9/t', 'http://localhost/t', 'http://[::1]:9/t']) {
      expect(loadSettings({ AGENT: 'claude', CLAUDE_REFRESH_TOKEN_URL_OVERRIDE: url }).refresh.claudeTokenUrl).toBe(new URL(url).href);
      expect(loadSettings({ AGENT: 'codex', CODEX_REFRESH_TOKEN_URL_OVERRIDE: url }).refresh.codexTokenUrl).toBe(new URL(url).href);
    }
    // Names that only look like loopback, and other hosts: a refresh token must not cross a network in clear.
    for (const url of ['http://127.evil.example/t', 'http://127.0.0.1.evil.com/t', 'http://10.0.0.1/t', 'http://auth.example.com/t']) {
      expect(() => loadSettings({ AGENT: 'codex', CODEX_REFRESH_TOKEN_URL_OVERRIDE: url }), url).toThrow(/CODEX_REFRESH_TOKEN_URL_OVERRIDE must be an https:\/\/ URL/);
    }
    for (const url of ['ftp://127.0.0.1/t', 'auth.openai.com/oauth/token']) {
      expect(() => loadSettings({ AGENT: 'codex', CODEX_REFRESH_TOKEN_URL_OVERRIDE: url })).toThrow(/CODEX_REFRESH_TOKEN_URL_OVERRIDE/);
    }
  });

  it('refuses an interval, timeout or backoff of 0 (a busy loop), and keeps the backoff cap at least the first delay', () => {
    for (const name of ['AGENT_REFRESH_INTERVAL', 'AGENT_REFRESH_TIMEOUT', 'AGENT_REFRESH_BACKOFF', 'AGENT_REFRESH_BACKOFF_MAX']) {
      expect(() => loadSettings({ AGENT: 'codex', [name]: '0' })).toThrow(new RegExp(`${name} must be longer than 0`));
    }
    expect(loadSettings({ AGENT: 'codex', AGENT_REFRESH_BACKOFF: '2h' }).refresh.backoffMaxMs).toBe(2 * HOUR);
  });
});
