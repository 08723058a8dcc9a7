// The pure credential checks: file content and a clock in, verdict out.
import { describe, expect, it } from 'vitest';
import { claudeCredentials, codexAuth, jwt } from '../fixtures/credentials.mjs';
import { isArtifactCandidate, judgeClaudeCredentials } from '../../src/credentials/claude.js';
import { codexIdTokenProblem, codexTimeMs, effectiveCodexMode, isCodexTimestamp, judgeCodexAuth, parseCodexAuth } from '../../src/credentials/codex.js';
import { splitWords } from '../../src/settings/words.js';

const NOW = Date.parse('2026-06-01T12:00:00Z');
const text = (value: unknown) => JSON.stringify(value);
const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

describe('codex id_token: the CLI rule', () => {
  it.each([
    ['three non-empty parts with a JSON object payload', jwt({ email: 'a@b.c' }), undefined],
    ['extra parts (the CLI reads the first three)', `${b64({})}.${b64({})}.sig.more`, undefined],
    ['a header that is not base64 (the CLI never reads it)', `???.${b64({})}.sig`, undefined],
    ['two parts', `${b64({})}.${b64({})}`, 'is not a JWT'],
    ['an empty signature', `${b64({})}.${b64({})}.`, 'is not a JWT'],
    ['padded base64', `${b64({})}.${Buffer.from('{"a":1}').toString('base64')}.sig`, 'not unpadded base64url'],
    ['a payload that is not JSON', `${b64({})}.${Buffer.from('nope').toString('base64url')}.sig`, 'not JSON'],
    ['a payload that is an array', `${b64({})}.${b64([1])}.sig`, 'not a JSON object'],
    ['an email claim that is a number', jwt({ email: 5 }), 'email claim is not a string'],
    ['an auth claim with a non-string plan', jwt({ 'https://api.openai.com/auth': { chatgpt_plan_type: 1 } }), 'chatgpt_plan_type'],
  ])('%s', (_name, token, problem) => {
    const found = codexIdTokenProblem(token);
    if (problem === undefined) expect(found).toBeUndefined();
    else expect(found).toContain(problem);
  });
});

describe('codex last_refresh: what the CLI accepts', () => {
  it.each(['2026-01-01T00:00:00Z', '2026-01-01T00:00:00.123456789Z', '2026-01-01t00:00:00z', '2026-01-01 00:00:00+02:00', '2026-01-01T00:00:00+0200'])('accepts %s', (value) =>
    expect(isCodexTimestamp(value)).toBe(true),
  );
  it.each(['2026-01-01', '2026-01-01T00:00:00', '2026-01-01T00:00Z', '2026-02-30T00:00:00Z', '2026-01-01T24:00:00Z', 'yesterday'])('refuses %s', (value) =>
    expect(isCodexTimestamp(value)).toBe(false),
  );
  it.each([
    ['2026-01-01T00:00:00Z', '2026-01-01T00:00:00.000Z'],
    ['2026-01-01t00:00:00.5z', '2026-01-01T00:00:00.500Z'],
    ['2026-01-01 00:00:00+02:00', '2025-12-31T22:00:00.000Z'],
    ['2026-01-01T00:00:00 +02:00', '2025-12-31T22:00:00.000Z'],
    ['2026-01-01T00:00:00+0200', '2025-12-31T22:00:00.000Z'],
  ])('reads %s as the instant %s', (value, iso) => expect(new Date(codexTimeMs(value)!).toISOString()).toBe(iso));
  it.each(['yesterday', '', 42, null])('reads %j as no time', (value) => expect(codexTimeMs(value)).toBeUndefined());
});

describe('codex verdicts', () => {
  it.each([
    ['valid', 'ok', 'valid'],
    ['apikey', 'ok', 'valid'],
    ['expired', 'ok', 'refreshable'],
    ['blanked', 'invalid', 'blanked'],
    ['blanked-refresh', 'invalid', 'blanked'],
    ['malformed-id-token', 'invalid', 'malformed-id-token'],
    ['wrong-shape', 'invalid', 'wrong-shape'],
    ['unknown-mode', 'invalid', 'unknown-auth-mode'],
    ['bad-last-refresh', 'invalid', 'wrong-shape'],
    ['empty-object', 'invalid', 'no-tokens'],
    ['empty-api-key', 'invalid', 'no-api-key'],
  ] as const)('%s: %s (%s)', (kind, status, reason) => {
    const verdict = judgeCodexAuth(text(codexAuth(kind, NOW)), NOW);
    expect(verdict).toMatchObject({ status, reason });
    expect(verdict.detail).not.toContain('FIXTURE_SECRET');
  });

  it('reports when an expired access token expired', () => {
    const verdict = judgeCodexAuth(text(codexAuth('expired', NOW)), NOW);
    expect(verdict.accessTokenExpiresAt).toBe(NOW - 24 * 3_600_000);
    expect(verdict.detail).toContain('expired at 2026-05-31T12:00:00.000Z');
  });

  it('infers the mode as the CLI does: auth_mode, else apikey when the key is a string, else chatgpt', () => {
    const parse = (value: unknown) => {
      const parsed = parseCodexAuth(text(value));
      if (!('auth' in parsed)) throw new Error('refused');
      return effectiveCodexMode(parsed.auth);
    };
    expect(parse({ OPENAI_API_KEY: 'sk-x' })).toBe('apikey');
    expect(parse({ OPENAI_API_KEY: null })).toBe('chatgpt');
    expect(parse({ auth_mode: 'chatgpt', OPENAI_API_KEY: 'sk-x' })).toBe('chatgpt');
  });

  it('keeps unknown fields out of the way (newer CLI builds add fields)', () => {
    const value = { ...codexAuth('valid', NOW), agent_identity: null, some_new_field: { nested: [1, 2] } };
    expect(judgeCodexAuth(text(value), NOW).status).toBe('ok');
  });

  it('quotes neither a secret nor the text around a JSON error', () => {
    const verdict = judgeCodexAuth('{"tokens": {"refresh_token": "rt_FIXTURE_SECRET_abc"', NOW);
    expect(verdict).toMatchObject({ status: 'invalid', reason: 'not-json' });
    expect(verdict.detail).toMatch(/^is not valid JSON \(line 1, column \d+\)$/);
  });

  it('does not echo an unknown auth_mode that looks like a secret', () => {
    const verdict = judgeCodexAuth(text({ auth_mode: 'sk-FIXTURE_SECRET:1234', OPENAI_API_KEY: null }), NOW);
    expect(verdict.reason).toBe('unknown-auth-mode');
    expect(verdict.detail).not.toContain('FIXTURE_SECRET');
  });
});

describe('claude verdicts', () => {
  it.each([
    ['valid', 'ok', 'valid'],
    ['expired', 'ok', 'refreshable'],
    ['expired-no-refresh', 'invalid', 'expired'],
    ['blanked', 'invalid', 'blanked'],
    ['expires-zero', 'invalid', 'blanked'],
    ['missing-scope', 'invalid', 'missing-scope'],
    ['wrong-shape', 'invalid', 'wrong-shape'],
    ['no-login', 'missing', 'no-login'],
  ] as const)('%s: %s (%s)', (kind, status, reason) => {
    const verdict = judgeClaudeCredentials(text(claudeCredentials(kind, NOW)), NOW);
    expect(verdict).toMatchObject({ status, reason });
    expect(verdict.detail).not.toContain('FIXTURE_SECRET');
  });

  it('an unexpired access token without a refresh token is usable until it expires', () => {
    const value = claudeCredentials('valid', NOW) as { claudeAiOauth: Record<string, unknown> };
    value.claudeAiOauth.refreshToken = null;
    expect(judgeClaudeCredentials(text(value), NOW)).toMatchObject({ status: 'ok', reason: 'valid' });
    expect(judgeClaudeCredentials(text(value), NOW + 9 * 3_600_000)).toMatchObject({ status: 'invalid', reason: 'expired' });
  });

  it('refuses a byte-order mark, as the CLI does', () => {
    expect(judgeClaudeCredentials(`\uFEFF${text(claudeCredentials('valid', NOW))}`, NOW).reason).toBe('not-json');
  });
});

describe('the artifact scan rule', () => {
  const own = new Set(['.agent-entrypoint-manifest.json', 'commands/review.md']);
  it.each([
    ['auth/oauth-token', true],
    ['credentials.json', true],
    ['CLAUDE.md', false],
    ['agents/nested/settings.json', false],
    ['.claude.json', false],
    ['backups/.claude.json.backup.1', false],
    ['telemetry/events.json', false],
    ['.agent-entrypoint-manifest.json', false],
    ['commands/review.md', false],
  ])('%s counts: %s', (rel, counts) => expect(isArtifactCandidate(rel, own)).toBe(counts));
});

describe('AGENT_LOGIN_COMMAND word splitting', () => {
  it.each([
    ['codex login --device-auth', ['codex', 'login', '--device-auth']],
    ['  node  "/path with space/login.mjs"  write ', ['node', '/path with space/login.mjs', 'write']],
    ["sh -c 'printenv KEY | codex login --with-api-key'", ['sh', '-c', 'printenv KEY | codex login --with-api-key']],
    ['a\\ b "c\\"d" \'\'', ['a b', 'c"d', '']],
  ])('%j', (input, words) => expect(splitWords(input)).toEqual({ words }));

  it.each([
    ['codex "login', 'unterminated double quote'],
    ["codex 'login", 'unterminated single quote'],
    ['codex \\', 'lone backslash'],
  ])('%j is refused', (input, problem) => expect(splitWords(input)).toEqual({ problem: expect.stringContaining(problem) }));
});
