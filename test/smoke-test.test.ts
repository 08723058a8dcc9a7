// smoke-test through the real bundle, as root (it drops to the agent): every outcome of the CLI
// check and of the credential check for both agents, with real fixture CLIs and real files.
// Each case asserts the exit code, the JSON line, the one stderr sentence, that no fixture secret
// appears in any output and that the slot is left exactly as it was.
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { BROKEN_TEXTS, claudeCredentials, codexAuth, type ClaudeKind, type CodexKind } from './fixtures/credentials.mjs';
import { AGENT_UID, bootedSlot, expectNoSecrets, fixtureCli, jsonLine, pathWith, smokeTest, writeCredentials, type Agent } from './helpers/probes.js';
import { runBundle, type BundleResult } from './helpers/bundle.js';
import type { Slot } from './helpers/slot.js';
import { processState, until } from './helpers/process.js';
import { removeTempDirs, snapshot, tempDir, writeTree } from './helpers/tree.js';

afterEach(removeTempDirs);

const FIXTURE_VERSION = { codex: 'codex-cli 0.0.0-fixture', claude: '0.0.0-fixture (Claude Code)' };

/** Runs the probe against `slot` with a working fixture CLI; asserts the contract common to every outcome. */
async function probe(slot: Slot, agent: Agent, env: Record<string, string> = {}, bin = fixtureCli(agent, 'version')): Promise<{ result: BundleResult; json: Record<string, unknown> }> {
  const before = snapshot(slot.root);
  const result = await smokeTest(slot, bin, { FIXTURE_VERSION: FIXTURE_VERSION[agent], ...env });
  const json = jsonLine(result);
  const stderr = result.stderr.trim().split('\n');
  expect(stderr, result.stderr).toHaveLength(1);
  expect(stderr[0]).toMatch(/^smoke-test: /);
  expect(json.exit_code).toBe(result.exitCode);
  expect(json.agent).toBe(agent);
  expectNoSecrets(result);
  expect(snapshot(slot.root), 'smoke-test writes nothing').toEqual(before);
  return { result, json };
}

const STATUS: Record<number, string> = { 0: 'ok', 64: 'cli-broken', 65: 'creds-missing', 66: 'creds-invalid' };

function expectOutcome(result: BundleResult, json: Record<string, unknown>, code: number, reason: string): void {
  expect(result.exitCode, `${result.stdout}\n${result.stderr}`).toBe(code);
  expect(json.status).toBe(STATUS[code]);
  expect(json.reason).toBe(reason);
  expect(result.stderr.trim().endsWith(String(json.detail)), 'the sentence on stderr carries the detail').toBe(true);
}

describe('smoke-test: the CLI check', () => {
  it('reports the version and exits 0 when --version works and credentials are valid', async () => {
    const slot = bootedSlot('codex');
    const file = writeCredentials(slot, 'codex', codexAuth('valid'));
    const { result, json } = await probe(slot, 'codex');
    expectOutcome(result, json, 0, 'valid');
    expect(json).toMatchObject({ cli_version: FIXTURE_VERSION.codex, creds_source: 'file', creds_status: 'ok', path: file, uid: AGENT_UID, cli_exit_code: 0, access_token_expired: false });
    expect(result.stderr).toMatch(/^smoke-test: ready \(0\): codex-cli 0\.0\.0-fixture; /);
  });

  it('64 when --version exits non-zero, with its exit code and the end of its stderr', async () => {
    const slot = bootedSlot('codex');
    writeCredentials(slot, 'codex', codexAuth('valid'));
    const { result, json } = await probe(slot, 'codex', {}, fixtureCli('codex', 'fail'));
    expectOutcome(result, json, 64, 'exit-code');
    expect(json).toMatchObject({ cli_exit_code: 1, creds_status: 'ok', cli_version: null });
    expect(json.cli_stderr).toContain('Missing optional dependency @openai/codex-linux-x64');
    expect(json.detail).toContain('exited with 1');
  });

  it('64 when --version outlives AGENT_SMOKE_TIMEOUT; the CLI and its grandchild are killed', async () => {
    const slot = bootedSlot('codex');
    writeCredentials(slot, 'codex', codexAuth('valid'));
    const pidDir = tempDir();
    fs.chmodSync(pidDir, 0o777);
    const pidFile = path.join(pidDir, 'grandchild.pid');
    const { result, json } = await probe(slot, 'codex', { AGENT_SMOKE_TIMEOUT: '300ms', HANG_PIDFILE: pidFile }, fixtureCli('codex', 'hang'));
    expectOutcome(result, json, 64, 'timeout');
    expect(json.detail).toContain('AGENT_SMOKE_TIMEOUT');
    const pid = Number(fs.readFileSync(pidFile, 'utf8'));
    // Killed means gone or a zombie awaiting its reaper (the grandchild's parent died with it).
    await until(() => (processState(pid) ?? 'Z').startsWith('Z') || undefined);
  });

  it('64 when the CLI is not on PATH', async () => {
    const slot = bootedSlot('claude');
    writeCredentials(slot, 'claude', claudeCredentials('valid'));
    const { result, json } = await probe(slot, 'claude', {}, fixtureCli('claude', 'missing'));
    expectOutcome(result, json, 64, 'missing');
    expect(json).toMatchObject({ cli: null, path: null, errno: 'ENOENT' });
    expect(json.detail).toContain('claude is not found in PATH');
  });

  it('64 when the CLI is not executable', async () => {
    const slot = bootedSlot('codex');
    writeCredentials(slot, 'codex', codexAuth('valid'));
    const { result, json } = await probe(slot, 'codex', {}, fixtureCli('codex', 'not-executable'));
    expectOutcome(result, json, 64, 'not-executable');
    expect(json.detail).toMatch(/is not executable by uid 10001/);
  });

  it('64 wins over missing credentials; the credential verdict is still reported', async () => {
    const slot = bootedSlot('codex');
    const { result, json } = await probe(slot, 'codex', {}, fixtureCli('codex', 'fail'));
    expectOutcome(result, json, 64, 'exit-code');
    expect(json).toMatchObject({ creds_status: 'missing', creds_reason: 'absent' });
  });
});

const CODEX_CASES: Array<[string, CodexKind | keyof typeof BROKEN_TEXTS, number, string]> = [
  ['an API key login', 'apikey', 0, 'valid'],
  ['an expired access token with a refresh token (healthy)', 'expired', 0, 'refreshable'],
  ['an empty file', 'empty', 66, 'empty'],
  ['a file that is not JSON (a truncated write)', 'not-json', 66, 'not-json'],
  ['a byte-order mark (the CLI cannot parse it)', 'bom', 66, 'not-json'],
  ['the wrong shape (tokens is a string)', 'wrong-shape', 66, 'wrong-shape'],
  ['an auth_mode the CLI does not know', 'unknown-mode', 66, 'unknown-auth-mode'],
  ['a last_refresh that is not RFC 3339', 'bad-last-refresh', 66, 'wrong-shape'],
  ['blanked tokens (a failed refresh)', 'blanked', 66, 'blanked'],
  ['a blanked refresh token only', 'blanked-refresh', 66, 'blanked'],
  ['a malformed id_token (the CLI refuses to load it)', 'malformed-id-token', 66, 'malformed-id-token'],
  ['an empty object (the CLI calls it logged in)', 'empty-object', 66, 'no-tokens'],
  ['an empty API key', 'empty-api-key', 66, 'no-api-key'],
];

describe('smoke-test: codex credentials', () => {
  for (const [name, kind, code, reason] of CODEX_CASES) {
    it(`${code} for ${name}`, async () => {
      const slot = bootedSlot('codex');
      writeCredentials(slot, 'codex', kind in BROKEN_TEXTS ? BROKEN_TEXTS[kind as keyof typeof BROKEN_TEXTS] : codexAuth(kind as CodexKind));
      const { result, json } = await probe(slot, 'codex');
      expectOutcome(result, json, code, reason);
      expect(json.creds_source).toBe('file');
      if (code !== 0) expect(json.detail).toContain('agent-entrypoint auth-init');
    });
  }

  it('names the line and column of a JSON error, never the text around it', async () => {
    const slot = bootedSlot('codex');
    writeCredentials(slot, 'codex', BROKEN_TEXTS['not-json']);
    const { json } = await probe(slot, 'codex');
    expect(json.detail).toMatch(/is not valid JSON \(line 1, column \d+\)/);
  });

  it('says when an expired access token expired', async () => {
    const slot = bootedSlot('codex');
    writeCredentials(slot, 'codex', codexAuth('expired'));
    const { json } = await probe(slot, 'codex');
    expect(json.access_token_expired).toBe(true);
    expect(json.detail).toContain(`expired at ${json.access_token_expires_at}`);
  });

  it('65 when auth.json is absent', async () => {
    const slot = bootedSlot('codex');
    const { result, json } = await probe(slot, 'codex');
    expectOutcome(result, json, 65, 'absent');
    expect(json.detail).toContain('CODEX_SESSION');
  });

  for (const variable of ['OPENAI_API_KEY', 'CODEX_API_KEY']) {
    it(`0 with ${variable} set and no file (source env); the key is never printed`, async () => {
      const slot = bootedSlot('codex');
      const key = `sk-env-secret-${variable}-0c9d8e7f6a5b`;
      const { result, json } = await probe(slot, 'codex', { [variable]: key });
      expectOutcome(result, json, 0, 'env');
      expect(json).toMatchObject({ creds_source: 'env', path: null });
      expectNoSecrets(result, [key]);
    });
  }

  it('66 unreadable when auth.json belongs to uid 1000 (mode 0600) and the agent is 10001, with the owner and the fix', async () => {
    const slot = bootedSlot('codex');
    const file = writeCredentials(slot, 'codex', codexAuth('valid'), { owner: 1000 });
    const { result, json } = await probe(slot, 'codex');
    expectOutcome(result, json, 66, 'unreadable');
    expect(json).toMatchObject({ path: file, owner_uid: 1000, mode: '600', errno: 'EACCES', uid: AGENT_UID });
    expect(json.detail).toContain('owned by 1000:1000 with mode 600');
    expect(json.detail).toContain(`chown -R 10001:10001 ${slot.home}`);
    expect(json.detail).toContain('AGENT_FIX_OWNERSHIP=true');
  });

  it('66 unreadable when the config dir itself belongs to uid 1000 (mode 0700)', async () => {
    const slot = bootedSlot('codex');
    writeCredentials(slot, 'codex', codexAuth('valid'), { owner: 1000 });
    fs.chownSync(slot.configDir, 1000, 1000);
    const { result, json } = await probe(slot, 'codex');
    expectOutcome(result, json, 66, 'unreadable');
    expect(json).toMatchObject({ owner_uid: 1000, mode: '700', errno: 'EACCES' });
    expect(json.detail).toContain(`directory ${slot.configDir}`);
  });
});

const CLAUDE_CASES: Array<[string, ClaudeKind | keyof typeof BROKEN_TEXTS, number, string]> = [
  ['an expired access token with a refresh token (healthy)', 'expired', 0, 'refreshable'],
  ['an empty file', 'empty', 66, 'empty'],
  ['a file that is not JSON', 'not-json', 66, 'not-json'],
  ['the wrong shape (claudeAiOauth is a string)', 'wrong-shape', 66, 'wrong-shape'],
  ['blanked tokens (a failed refresh)', 'blanked', 66, 'blanked'],
  ['expiresAt 0 without a refresh token', 'expires-zero', 66, 'blanked'],
  ['an expired access token without a refresh token', 'expired-no-refresh', 66, 'expired'],
  ['scopes without user:inference', 'missing-scope', 66, 'missing-scope'],
  ['a file without a Claude login (MCP state only)', 'no-login', 65, 'no-login'],
];

describe('smoke-test: claude credentials', () => {
  it('0 for a valid login', async () => {
    const slot = bootedSlot('claude');
    writeCredentials(slot, 'claude', claudeCredentials('valid'));
    const { result, json } = await probe(slot, 'claude');
    expectOutcome(result, json, 0, 'valid');
    expect(json.cli_version).toBe(FIXTURE_VERSION.claude);
  });

  for (const [name, kind, code, reason] of CLAUDE_CASES) {
    it(`${code} for ${name}`, async () => {
      const slot = bootedSlot('claude');
      writeCredentials(slot, 'claude', kind in BROKEN_TEXTS ? BROKEN_TEXTS[kind as keyof typeof BROKEN_TEXTS] : claudeCredentials(kind as ClaudeKind));
      const { result, json } = await probe(slot, 'claude');
      expectOutcome(result, json, code, reason);
    });
  }

  for (const variable of ['CLAUDE_CODE_OAUTH_TOKEN', 'ANTHROPIC_API_KEY']) {
    it(`0 with ${variable} set and no file (source env)`, async () => {
      const slot = bootedSlot('claude');
      const token = `sk-ant-env-secret-${variable}-7f6e5d`;
      const { result, json } = await probe(slot, 'claude', { [variable]: token });
      expectOutcome(result, json, 0, 'env');
      expectNoSecrets(result, [token]);
    });
  }

  it('66 unreadable when .credentials.json belongs to uid 1000 (mode 0600)', async () => {
    const slot = bootedSlot('claude');
    writeCredentials(slot, 'claude', claudeCredentials('valid'), { owner: 1000 });
    const { result, json } = await probe(slot, 'claude');
    expectOutcome(result, json, 66, 'unreadable');
    expect(json.owner_uid).toBe(1000);
  });

  it('falls back to the artifact scan when .credentials.json is absent: a credential artifact elsewhere is 0', async () => {
    const slot = bootedSlot('claude');
    const found = writeCredentials(slot, 'claude', `token-${'FIXTURE_SECRET'}-moved-file`, { rel: 'auth/oauth-token' });
    const { result, json } = await probe(slot, 'claude');
    expectOutcome(result, json, 0, 'artifact-found');
    expect(json).toMatchObject({ creds_source: 'artifact-scan', path: found });
  });

  it("65 when the scan finds only baseline files, the CLI's own state and this program's bookkeeping", async () => {
    const slot = bootedSlot('claude');
    writeTree(slot.configDir, {
      'CLAUDE.md': '# rules',
      'settings.json': '{}',
      'agents/config.toml': 'x = 1',
      '.claude.json': '{"numStartups": 3}',
      'backups/.claude.json.backup.1': '{}',
      'telemetry/1p_failed_events.json': '[]',
      'projects/-home-claude/session.jsonl': '{}',
      '.agent-entrypoint-manifest.json': JSON.stringify({ version: 1, files: { 'commands/review.md': {} }, dirs: [] }),
      'commands/review.md': 'review the diff',
    });
    fs.symlinkSync('/etc/hostname', path.join(slot.configDir, 'linked-credentials'));
    const { result, json } = await probe(slot, 'claude');
    expectOutcome(result, json, 65, 'absent');
    expect(json.detail).toContain('artifact scan');
  });

  it('66 walk-error when the scan cannot read a directory', async () => {
    const slot = bootedSlot('claude');
    const locked = path.join(slot.configDir, 'locked');
    fs.mkdirSync(locked, { mode: 0o700 });
    fs.chownSync(locked, 1000, 1000);
    const { result, json } = await probe(slot, 'claude');
    expectOutcome(result, json, 66, 'walk-error');
    expect(json).toMatchObject({ creds_source: 'artifact-scan', path: locked, errno: 'EACCES' });
  });
});

describe('smoke-test: how it runs', () => {
  it('runs as the agent when started as the agent (Kubernetes runAsUser), without dropping', async () => {
    const slot = bootedSlot('codex');
    writeCredentials(slot, 'codex', codexAuth('valid'));
    const result = await smokeTest(slot, fixtureCli('codex', 'version'), {}, { wrap: ['setpriv', '--reuid', '10001', '--regid', '10001', '--clear-groups'] });
    expect(result.exitCode, result.stderr).toBe(0);
    expect(jsonLine(result).uid).toBe(AGENT_UID);
  });

  it('needs no network (runs inside unshare --net)', async () => {
    const slot = bootedSlot('codex');
    writeCredentials(slot, 'codex', codexAuth('valid'));
    const result = await smokeTest(slot, fixtureCli('codex', 'version'), {}, { wrap: ['unshare', '--net'] });
    expect(result.exitCode, result.stderr).toBe(0);
  });

  const CONFIG_ERRORS: Array<[string, string[], Record<string, string>, string]> = [
    ['a bad AGENT_SMOKE_TIMEOUT', ['smoke-test'], { AGENT_SMOKE_TIMEOUT: 'soon' }, 'AGENT_SMOKE_TIMEOUT'],
    ['AGENT unset', ['smoke-test'], { AGENT: '' }, 'AGENT is not set'],
    ['an unknown argument', ['smoke-test', '--verbose'], {}, 'smoke-test takes no arguments'],
  ];
  for (const [name, args, env, fragment] of CONFIG_ERRORS) {
    it(`78 with the JSON contract kept for ${name}`, async () => {
      const slot = bootedSlot('codex');
      const result = await runBundle(args, { env: { ...slot.env, PATH: pathWith(fixtureCli('codex', 'version')), ...env } });
      expect(result.exitCode).toBe(78);
      const json = jsonLine(result);
      expect(json).toMatchObject({ status: 'error', reason: 'config', exit_code: 78 });
      expect(json.detail).toContain(fragment);
      expect(result.stderr.trim().split('\n')).toEqual([expect.stringMatching(/^smoke-test: configuration error \(78\): /)]);
    });
  }

  it('AGENT_MODE=smoke-test selects it too', async () => {
    const slot = bootedSlot('codex');
    const result = await runBundle([], { env: { ...slot.env, AGENT_MODE: 'smoke-test', PATH: pathWith(fixtureCli('codex', 'version')) } });
    expect(result.exitCode).toBe(65);
    expect(jsonLine(result).status).toBe('creds-missing');
  });
});
