// `refresh --once` through the real bundle against a real token server: every exit code and
// status-file outcome, what is rewritten and what is kept, and that failures change nothing.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { useTokenServer, type Fault, type TokenServer } from '../helpers/token-server.js';
import {
  AGENT_UID,
  expectNoSecrets,
  readJson,
  refreshOnce,
  refreshSlot,
  secretsIn,
  strays,
  writeCredentials,
  type RefreshRun,
  type RefreshSlot,
} from '../helpers/refresh.js';

let server: TokenServer;
useTokenServer((started) => (server = started));

const HOUR = 3_600_000;
const ISO_Z = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/;

/** A codex slot whose access token expires in `hours` (due when under 4). */
function codexSlot(hours: number, extra: Record<string, unknown> = {}, env: Record<string, string> = {}) {
  const doc = server.issueCodex({ expiresAtMs: Date.now() + hours * HOUR, extra });
  return { doc, slot: refreshSlot('codex', server, doc, env) };
}

function claudeSlot(hours: number, extra: Record<string, unknown> = {}, env: Record<string, string> = {}) {
  const doc = server.issueClaude({ expiresAtMs: Date.now() + hours * HOUR, extra });
  return { doc, slot: refreshSlot('claude', server, doc, env) };
}

/** Everything a run leaves that a person or process could read. */
function places(run: RefreshRun, slot: RefreshSlot): Record<string, string> {
  const status = fs.existsSync(slot.statusFile) ? fs.readFileSync(slot.statusFile, 'utf8') : '';
  return { stdout: run.stdout, stderr: run.stderr, 'status file': status };
}

describe('codex: refreshed (exit 0)', () => {
  it('replaces the returned tokens, sets last_refresh, keeps every other field, 0600 and agent-owned', async () => {
    const { doc, slot } = codexSlot(1, { future_field: { nested: [1, 2] } }, { LOG_LEVEL: 'trace' });
    doc.tokens.extra_token_field = 'kept';
    writeCredentials(slot.file, doc);
    const before = Date.now();
    const run = await refreshOnce(slot.env);
    expect(run.exitCode, run.stderr).toBe(0);
    expect(run.line).toMatchObject({ outcome: 'refreshed', exit_code: 0, agent: 'codex', credentials: slot.file });
    // The write goes through the temp file prepared before the request, not the fallback path.
    expect(run.stderr).not.toContain('trying a fresh one');
    const after = readJson<typeof doc>(slot.file);
    const issued = server.redemptions.at(-1)!;
    expect(issued.result).toBe('rotated');
    expect(issued.presented).toBe(doc.tokens.refresh_token);
    expect(after.tokens.refresh_token).toBe(issued.issued);
    expect(after.tokens.refresh_token).toBe(server.liveToken());
    expect(after.tokens.id_token).not.toBe(doc.tokens.id_token);
    expect(after.tokens.access_token).not.toBe(doc.tokens.access_token);
    expect(after.tokens.account_id).toBe('acct-fixture');
    expect(after.tokens.extra_token_field).toBe('kept');
    expect(after.future_field).toEqual({ nested: [1, 2] });
    expect(after.auth_mode).toBe('chatgpt');
    expect(after.OPENAI_API_KEY).toBeNull();
    expect(after.last_refresh).toMatch(ISO_Z);
    expect(Date.parse(after.last_refresh!)).toBeGreaterThanOrEqual(before - 1000);
    expect(Object.keys(after)).toEqual(Object.keys(doc));
    const stat = fs.statSync(slot.file);
    expect(stat.mode & 0o777).toBe(0o600);
    expect([stat.uid, stat.gid]).toEqual([AGENT_UID, AGENT_UID]);
    expect(strays(slot)).toEqual([]);
    // The request: the CLI's client id, grant type and the refresh token in a JSON body.
    const request = server.requests.at(-1)!;
    expect(request.body).toEqual({ client_id: 'app_EMoamEEZ73f0CkXaXp7hrann', grant_type: 'refresh_token', refresh_token: doc.tokens.refresh_token });
    expect(request.headers['content-type']).toBe('application/json');

    const status = readJson(slot.statusFile);
    expect(Object.keys(status).sort()).toEqual(['expires_at_iso', 'last_refresh', 'last_refresh_age_seconds', 'next_check_iso', 'watchdog_last_outcome', 'watchdog_last_run_iso']);
    expect(status).toMatchObject({ watchdog_last_outcome: 'refreshed', last_refresh: after.last_refresh, last_refresh_age_seconds: 0 });
    expect(status.watchdog_last_run_iso).toMatch(ISO_Z);
    expect(Date.parse(status.next_check_iso as string)).toBeGreaterThan(Date.parse(status.watchdog_last_run_iso as string));
    expect(run.line.next_check_iso).toBe(status.next_check_iso);
    const statusStat = fs.statSync(slot.statusFile);
    expect([statusStat.uid, statusStat.gid]).toEqual([AGENT_UID, AGENT_UID]);
    expectNoSecrets(places(run, slot), [...secretsIn(doc), ...secretsIn(after)]);
  });

  it('leaves the CLIs\' own lock files alone: an empty auth.json.lock, a .credentials.json.lock directory', async () => {
    for (const [agent, slotOf, lock] of [
      ['codex', codexSlot, 'auth.json.lock'],
      ['claude', claudeSlot, '.credentials.json.lock'],
    ] as const) {
      const { slot } = slotOf(agent === 'codex' ? 1 : 0.5);
      const cliLock = path.join(slot.configDir, lock);
      if (agent === 'codex') fs.writeFileSync(cliLock, '');
      else fs.mkdirSync(cliLock);
      const lockStat = fs.lstatSync(cliLock);
      const run = await refreshOnce(slot.env);
      expect(run.line.outcome, run.stderr).toBe('refreshed');
      expect(fs.lstatSync(cliLock)).toMatchObject({ ino: lockStat.ino, mtimeMs: lockStat.mtimeMs });
    }
  });

  it('replaces only the fields the server returned', async () => {
    const { doc, slot } = codexSlot(1);
    server.omit = ['id_token', 'refresh_token'];
    const run = await refreshOnce(slot.env);
    expect(run.exitCode, run.stderr).toBe(0);
    const after = readJson<typeof doc>(slot.file);
    expect(after.tokens.id_token).toBe(doc.tokens.id_token);
    expect(after.tokens.refresh_token).toBe(doc.tokens.refresh_token);
    expect(after.tokens.access_token).not.toBe(doc.tokens.access_token);
  });

  it('refreshes when last_refresh is older than AGENT_REFRESH_MAX_AGE, even with a fresh access token', async () => {
    const doc = server.issueCodex({ expiresAtMs: Date.now() + 48 * HOUR, lastRefresh: new Date(Date.now() - 8 * 24 * HOUR).toISOString() });
    const slot = refreshSlot('codex', server, doc);
    const run = await refreshOnce(slot.env);
    expect(run.line.outcome, run.stderr).toBe('refreshed');
  });

  it('refreshes when neither the expiry nor last_refresh can be read', async () => {
    const doc = server.issueCodex({ lastRefresh: null });
    doc.tokens.access_token = 'opaque-access-token-not-a-jwt';
    const slot = refreshSlot('codex', server, doc);
    const run = await refreshOnce(slot.env);
    expect(run.line.outcome, run.stderr).toBe('refreshed');
  });

  it('honours AGENT_REFRESH_MARGIN', async () => {
    const { slot } = codexSlot(5, {}, { AGENT_REFRESH_MARGIN: '6h' });
    expect((await refreshOnce(slot.env)).line.outcome).toBe('refreshed');
  });
});

describe('codex: skipped (exit 1), nothing rewritten', () => {
  it('not_due: the file is left byte for byte; the next check is the due time or the interval', async () => {
    const { slot } = codexSlot(5, {}, { AGENT_REFRESH_INTERVAL: '6h' });
    const bytes = fs.readFileSync(slot.file);
    const requests = server.requests.length;
    const run = await refreshOnce(slot.env);
    expect(run.exitCode).toBe(1);
    expect(run.line.outcome).toBe('skip:not_due');
    expect(server.requests.length).toBe(requests);
    expect(fs.readFileSync(slot.file).equals(bytes)).toBe(true);
    // Due in 1 h (5 h - 4 h margin): the next check is within that hour, at most 5 minutes early.
    const next = Date.parse(run.line.next_check_iso as string);
    const due = Date.parse(run.line.due_at_iso as string);
    expect(due - next).toBeGreaterThanOrEqual(0);
    expect(due - next).toBeLessThanOrEqual(5 * 60_000 + 1000);
    expect(readJson(slot.statusFile).watchdog_last_outcome).toBe('skip:not_due');
  });

  it('no_auth_json: the status file says so; a missing config dir is not created', async () => {
    const { slot } = codexSlot(1);
    fs.rmSync(slot.file);
    const run = await refreshOnce(slot.env);
    expect([run.exitCode, run.line.outcome]).toEqual([1, 'skip:no_auth_json']);
    expect(readJson(slot.statusFile).watchdog_last_outcome).toBe('skip:no_auth_json');
    fs.rmSync(slot.configDir, { recursive: true });
    const again = await refreshOnce(slot.env);
    expect(again.line.outcome).toBe('skip:no_auth_json');
    expect(fs.existsSync(slot.configDir)).toBe(false);
  });

  it('apikey_mode', async () => {
    const slot = refreshSlot('codex', server, { auth_mode: 'apikey', OPENAI_API_KEY: 'sk-proj-fixturekey0123456789abcdef' });
    const run = await refreshOnce(slot.env);
    expect([run.exitCode, run.line.outcome]).toEqual([1, 'skip:apikey_mode']);
    expectNoSecrets(places(run, slot), ['sk-proj-fixturekey0123456789abcdef']);
  });

  it('apikey_mode also without auth_mode when only a key is present', async () => {
    const slot = refreshSlot('codex', server, { OPENAI_API_KEY: 'sk-proj-fixturekey0123456789abcdef' });
    expect((await refreshOnce(slot.env)).line.outcome).toBe('skip:apikey_mode');
  });

  it('apikey_mode without auth_mode when a key is present, even beside tokens (as the CLI reads it)', async () => {
    const doc = server.issueCodex({ expiresAtMs: Date.now() + HOUR });
    delete doc.auth_mode;
    doc.OPENAI_API_KEY = 'sk-proj-fixturekey0123456789abcdef';
    const slot = refreshSlot('codex', server, doc);
    expect((await refreshOnce(slot.env)).line.outcome).toBe('skip:apikey_mode');
  });

  it('chatgpt tokens without auth_mode are refreshed', async () => {
    const doc = server.issueCodex({ expiresAtMs: Date.now() + HOUR });
    delete doc.auth_mode;
    const slot = refreshSlot('codex', server, doc);
    const run = await refreshOnce(slot.env);
    expect(run.line.outcome, run.stderr).toBe('refreshed');
    expect(readJson(slot.file).auth_mode).toBeUndefined();
  });

  it('unsupported_auth_mode: a mode this watchdog does not own', async () => {
    const doc = server.issueCodex({ expiresAtMs: Date.now() + HOUR });
    doc.auth_mode = 'chatgptAuthTokens';
    const slot = refreshSlot('codex', server, doc);
    expect((await refreshOnce(slot.env)).line).toMatchObject({ outcome: 'skip:unsupported_auth_mode', exit_code: 1 });
  });

  it('no_refresh_token', async () => {
    const doc = server.issueCodex({ expiresAtMs: Date.now() + HOUR });
    doc.tokens.refresh_token = '';
    const slot = refreshSlot('codex', server, doc);
    expect((await refreshOnce(slot.env)).line).toMatchObject({ outcome: 'skip:no_refresh_token', exit_code: 1 });
  });

  it('disabled (AGENT_REFRESH=off): nothing is read, written or sent', async () => {
    const { slot } = codexSlot(1, {}, { AGENT_REFRESH: 'off' });
    const requests = server.requests.length;
    const run = await refreshOnce(slot.env);
    expect(run.line).toMatchObject({ outcome: 'skip:disabled', exit_code: 1, next_check_iso: null });
    expect(fs.existsSync(slot.statusFile)).toBe(false);
    expect(server.requests.length).toBe(requests);
  });

  it('refreshed_elsewhere: the CLI redeemed the token first and wrote its file; ours is not a failure', async () => {
    const { doc, slot } = codexSlot(1);
    let cliText = '';
    server.hooks.push(() => {
      // The CLI wins the race: it redeems the same token and rewrites auth.json (not atomically).
      const { answer } = server.redeem('codex', doc.tokens.refresh_token);
      cliText = JSON.stringify({ ...doc, tokens: { ...doc.tokens, ...answer }, last_refresh: new Date().toISOString() }, null, 2);
      fs.writeFileSync(slot.file, cliText);
    });
    const run = await refreshOnce(slot.env);
    expect([run.exitCode, run.line.outcome]).toEqual([1, 'skip:refreshed_elsewhere']);
    expect(fs.readFileSync(slot.file, 'utf8')).toBe(cliText);
    expect(readJson(slot.statusFile).watchdog_last_outcome).toBe('skip:refreshed_elsewhere');
  });
});

describe('codex: failures change nothing', () => {
  const transientCases: Array<[string, Fault, string, Record<string, string>?]> = [
    ['500', { kind: 'status', status: 500 }, 'fail:transient_http_500'],
    ['503', { kind: 'status', status: 503 }, 'fail:transient_http_503'],
    ['429', { kind: 'status', status: 429 }, 'fail:transient_http_429'],
    ['408', { kind: 'status', status: 408 }, 'fail:transient_http_408'],
    ['a non-JSON 200', { kind: 'non-json' }, 'fail:transient_invalid_response'],
    ['a wrongly shaped 200', { kind: 'wrong-shape' }, 'fail:transient_invalid_response'],
    ['a 10 MB body', { kind: 'huge', bytes: 10 * 1024 * 1024 }, 'fail:transient_response_too_large'],
    ['an answer slower than AGENT_REFRESH_TIMEOUT', { kind: 'slow', ms: 3000 }, 'fail:transient_timeout', { AGENT_REFRESH_TIMEOUT: '300ms' }],
  ];
  for (const [name, fault, outcome, env] of transientCases) {
    it(`transient (exit 2): ${name}`, async () => {
      const { doc, slot } = codexSlot(1, {}, env);
      const bytes = fs.readFileSync(slot.file);
      server.faults.push(fault);
      const run = await refreshOnce(slot.env);
      expect(run.exitCode, run.stderr).toBe(2);
      expect(run.line.outcome).toBe(outcome);
      expect(fs.readFileSync(slot.file).equals(bytes)).toBe(true);
      expect(strays(slot)).toEqual([]);
      expect(readJson(slot.statusFile).watchdog_last_outcome).toBe(outcome);
      expect(server.live.has(doc.tokens.refresh_token)).toBe(true);
      expectNoSecrets(places(run, slot), secretsIn(doc));
    });
  }

  it('transient (exit 2): the endpoint is unreachable', async () => {
    const { slot } = codexSlot(1, {}, { CODEX_REFRESH_TOKEN_URL_OVERRIDE: 'http://127.0.0.1:1/oauth/token' });
    const bytes = fs.readFileSync(slot.file);
    const run = await refreshOnce(slot.env);
    expect([run.exitCode, run.line.outcome]).toEqual([2, 'fail:transient_network']);
    expect(fs.readFileSync(slot.file).equals(bytes)).toBe(true);
  });

  const permanentCases: Array<[string, Fault, string]> = [
    ['401 without a code', { kind: 'status', status: 401 }, 'fail:permanent_http_401'],
    ['refresh_token_expired', { kind: 'error', code: 'refresh_token_expired' }, 'fail:permanent_refresh_token_expired'],
    ['refresh_token_reused', { kind: 'error', code: 'refresh_token_reused' }, 'fail:permanent_refresh_token_reused'],
    ['refresh_token_invalidated', { kind: 'error', code: 'refresh_token_invalidated' }, 'fail:permanent_refresh_token_invalidated'],
    ['invalid_grant (400)', { kind: 'error', code: 'invalid_grant', status: 400 }, 'fail:permanent_invalid_grant'],
  ];
  for (const [name, fault, outcome] of permanentCases) {
    it(`permanent (exit 3): ${name}, with the remedy`, async () => {
      const { doc, slot } = codexSlot(1);
      const bytes = fs.readFileSync(slot.file);
      server.faults.push(fault);
      const run = await refreshOnce(slot.env);
      expect(run.exitCode, run.stderr).toBe(3);
      expect(run.line.outcome).toBe(outcome);
      expect(run.line.message).toContain('auth-init');
      expect(run.logs.some((log) => log.level === 'error' && String(log.msg).includes('auth-init'))).toBe(true);
      expect(fs.readFileSync(slot.file).equals(bytes)).toBe(true);
      expect(strays(slot)).toEqual([]);
      expect(readJson(slot.statusFile).watchdog_last_outcome).toBe(outcome);
      expectNoSecrets(places(run, slot), secretsIn(doc));
    });
  }

  it('permanent: a spent token, for real (the server retired it)', async () => {
    const { doc, slot } = codexSlot(1);
    server.redeem('codex', doc.tokens.refresh_token);
    const run = await refreshOnce(slot.env);
    expect([run.exitCode, run.line.outcome]).toEqual([3, 'fail:permanent_refresh_token_reused']);
  });

  it('permanent: a credentials file that is not JSON (position only, never its text)', async () => {
    const { slot } = codexSlot(1);
    writeCredentials(slot.file, '{"tokens": {"refresh_token": "rt_notjson_secret_value_123456"');
    const run = await refreshOnce(slot.env);
    expect([run.exitCode, run.line.outcome]).toEqual([3, 'fail:permanent_invalid_credentials']);
    expect(run.line.message).toMatch(/line 1, column \d+/);
    expect(run.stdout + run.stderr).not.toContain('rt_notjson_secret');
  });

  it('permanent: a field the refresher reads has the wrong type (named, never its value)', async () => {
    const { doc, slot } = codexSlot(1);
    writeCredentials(slot.file, { ...doc, tokens: { ...doc.tokens, refresh_token: 12345 } });
    const run = await refreshOnce(slot.env);
    expect([run.exitCode, run.line.outcome]).toEqual([3, 'fail:permanent_invalid_credentials']);
    expect(run.line.message).toContain('auth.json: tokens.refresh_token has the wrong type');
  });

  it('permanent: a credentials file the agent cannot read', async () => {
    const { slot } = codexSlot(1);
    fs.chownSync(slot.file, 0, 0);
    const run = await refreshOnce(slot.env);
    expect([run.exitCode, run.line.outcome]).toEqual([3, 'fail:permanent_unreadable']);
    expect(run.line.message).toContain(slot.file);
  });

  it('permanent: a config dir the agent cannot write; nothing is redeemed', async () => {
    const { doc, slot } = codexSlot(1);
    fs.chownSync(slot.configDir, 0, 0);
    fs.chmodSync(slot.configDir, 0o755);
    fs.chmodSync(slot.file, 0o644);
    const requests = server.requests.length;
    const run = await refreshOnce(slot.env);
    expect([run.exitCode, run.line.outcome]).toEqual([3, 'fail:permanent_not_writable']);
    expect(run.line.message).toContain(slot.configDir);
    expect(server.requests.length).toBe(requests);
    expect(server.live.has(doc.tokens.refresh_token)).toBe(true);
  });
});

describe('claude', () => {
  it('refreshed: accessToken, refreshToken and expiresAt replaced; scopes and unknown fields kept', async () => {
    const { doc, slot } = claudeSlot(0.5, { mcpOAuth: { server: { accessToken: 'sk-other-mcp-token-0123456789abcdef' } } });
    doc.claudeAiOauth.rateLimitTier = 'default_claude_max_20x';
    writeCredentials(slot.file, JSON.stringify(doc));
    const before = Date.now();
    const run = await refreshOnce(slot.env);
    expect(run.exitCode, run.stderr).toBe(0);
    expect(run.line).toMatchObject({ outcome: 'refreshed', agent: 'claude' });
    const after = readJson<typeof doc>(slot.file);
    expect(after.claudeAiOauth.refreshToken).toBe(server.liveToken());
    expect(after.claudeAiOauth.accessToken).not.toBe(doc.claudeAiOauth.accessToken);
    expect(after.claudeAiOauth.expiresAt).toBeGreaterThanOrEqual(before + server.lifetimeMs - 1000);
    expect(after.claudeAiOauth.expiresAt).toBeLessThanOrEqual(Date.now() + server.lifetimeMs + 1000);
    expect(after.claudeAiOauth.scopes).toEqual(doc.claudeAiOauth.scopes);
    expect(after.claudeAiOauth.subscriptionType).toBe('max');
    expect(after.claudeAiOauth.rateLimitTier).toBe('default_claude_max_20x');
    expect(after.mcpOAuth).toEqual(doc.mcpOAuth);
    // The CLI's own compact style is kept.
    expect(fs.readFileSync(slot.file, 'utf8')).not.toContain('\n');
    expect(server.requests.at(-1)!.body).toEqual({ grant_type: 'refresh_token', refresh_token: doc.claudeAiOauth.refreshToken, client_id: '9d1c250a-e61b-44d9-88ed-5944d1962f5e' });
    const stat = fs.statSync(slot.file);
    expect([stat.mode & 0o777, stat.uid]).toEqual([0o600, AGENT_UID]);
    const status = readJson(slot.statusFile);
    expect(status.watchdog_last_outcome).toBe('refreshed');
    expect(status.last_refresh).toMatch(ISO_Z);
    expect(status.expires_at_iso).toBe(new Date(after.claudeAiOauth.expiresAt).toISOString());
    expectNoSecrets(places(run, slot), [...secretsIn(doc), ...secretsIn(after)]);
  });

  it('keeps the refresh token when none is returned', async () => {
    const { doc, slot } = claudeSlot(0.5);
    server.omit = ['refresh_token'];
    const run = await refreshOnce(slot.env);
    expect(run.line.outcome, run.stderr).toBe('refreshed');
    expect(readJson<typeof doc>(slot.file).claudeAiOauth.refreshToken).toBe(doc.claudeAiOauth.refreshToken);
  });

  it('uses a 1 h default margin: 2 h left is not due, and the status keeps the last refresh time', async () => {
    const { slot } = claudeSlot(0.5);
    await refreshOnce(slot.env);
    const refreshedAt = readJson(slot.statusFile).last_refresh;
    const doc = server.issueClaude({ expiresAtMs: Date.now() + 2 * HOUR });
    writeCredentials(slot.file, doc);
    const run = await refreshOnce(slot.env);
    expect([run.exitCode, run.line.outcome]).toEqual([1, 'skip:not_due']);
    expect(readJson(slot.statusFile).last_refresh).toBe(refreshedAt);
  });

  it('refreshes a blanked token (expiresAt 0)', async () => {
    const { doc, slot } = claudeSlot(5);
    doc.claudeAiOauth.expiresAt = 0;
    writeCredentials(slot.file, doc);
    expect((await refreshOnce(slot.env)).line.outcome).toBe('refreshed');
  });

  it('no_refresh_token without claudeAiOauth', async () => {
    const slot = refreshSlot('claude', server, { mcpOAuth: {} });
    expect((await refreshOnce(slot.env)).line).toMatchObject({ outcome: 'skip:no_refresh_token', exit_code: 1 });
  });

  it('no_auth_json without .credentials.json', async () => {
    const slot = refreshSlot('claude', server, undefined);
    expect((await refreshOnce(slot.env)).line.outcome).toBe('skip:no_auth_json');
  });

  it('invalid_grant is permanent; 503 is transient; both leave the file as it was', async () => {
    for (const [fault, code, outcome] of [
      [{ kind: 'error', code: 'invalid_grant' }, 3, 'fail:permanent_invalid_grant'],
      [{ kind: 'status', status: 503 }, 2, 'fail:transient_http_503'],
    ] as const) {
      const { doc, slot } = claudeSlot(0.5);
      const bytes = fs.readFileSync(slot.file);
      server.faults.push(fault);
      const run = await refreshOnce(slot.env);
      expect([run.exitCode, run.line.outcome]).toEqual([code, outcome]);
      expect(fs.readFileSync(slot.file).equals(bytes)).toBe(true);
      expectNoSecrets(places(run, slot), secretsIn(doc));
    }
  });
});

describe('configuration errors (exit 78) still print the JSON line and touch nothing', () => {
  const cases: Array<[string, Record<string, string>, string[], string?]> = [
    ['AGENT_REFRESH_TIMEOUT', { AGENT_REFRESH_TIMEOUT: 'soon' }, ['AGENT_REFRESH_TIMEOUT']],
    ['AGENT_REFRESH_INTERVAL of 0', { AGENT_REFRESH_INTERVAL: '0' }, ['AGENT_REFRESH_INTERVAL', 'longer than 0']],
    ['AGENT_REFRESH', { AGENT_REFRESH: 'sometimes' }, ['AGENT_REFRESH']],
    ['a plain-http token URL off this machine', { CODEX_REFRESH_TOKEN_URL_OVERRIDE: 'http://auth.example.com/oauth/token' }, ['CODEX_REFRESH_TOKEN_URL_OVERRIDE', 'https']],
    ['a token URL that is not a URL', { CLAUDE_REFRESH_TOKEN_URL_OVERRIDE: 'not a url' }, ['CLAUDE_REFRESH_TOKEN_URL_OVERRIDE']],
    ['AGENT missing', { AGENT: '' }, ['AGENT']],
  ];
  for (const [name, env, fragments] of cases) {
    it(name, async () => {
      const { slot } = codexSlot(1);
      const before = fs.readdirSync(slot.configDir);
      const run = await refreshOnce({ ...slot.env, ...env });
      expect(run.exitCode).toBe(78);
      expect(run.line).toMatchObject({ outcome: 'error:config', exit_code: 78 });
      for (const fragment of fragments) expect(String(run.line.message)).toContain(fragment);
      expect(run.stderr).toMatch(/^FATAL: /);
      expect(fs.readdirSync(slot.configDir)).toEqual(before);
    });
  }

  it('an unknown argument', async () => {
    const { slot } = codexSlot(1);
    const run = await refreshOnce(slot.env, { args: ['refresh', '--forever'] });
    expect([run.exitCode, run.line.outcome]).toEqual([78, 'error:config']);
    expect(String(run.line.message)).toContain('--once');
  });
});

describe('identity', () => {
  it('started as root, it becomes the agent before touching anything (its files are agent-owned)', async () => {
    const { slot } = codexSlot(1);
    fs.rmSync(slot.statusFile, { force: true });
    const run = await refreshOnce(slot.env);
    expect(run.line.outcome).toBe('refreshed');
    for (const name of fs.readdirSync(slot.configDir)) {
      const stat = fs.statSync(path.join(slot.configDir, name));
      expect([name, stat.uid, stat.gid]).toEqual([name, AGENT_UID, AGENT_UID]);
    }
  });
});
