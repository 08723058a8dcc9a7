// Codex CLI's auth.json (codex-rs/login): `{auth_mode?, OPENAI_API_KEY, tokens?: {id_token,
// access_token, refresh_token, account_id}, last_refresh?}`. The refresh answer's id_token,
// access_token and refresh_token are each optional: only those returned are replaced.
import * as z from 'zod/mini';
import { codexTimeMs } from '../credentials/codex.js';
import { isPlainObject } from '../layers/merge.js';
import { registerSecret } from '../log/secrets.js';
import { isJwtShaped, jwtExpiryMs } from '../util/jwt.js';
import type { Settings } from '../settings/env.js';
import { documentReader, lazySchema, nonEmpty, type Doc, type Inspection, type Provider, type Update } from './provider.js';

/** Codex's public OAuth client id (the CLI's own). */
export const CODEX_CLIENT_ID = 'app_EMoamEEZ73f0CkXaXp7hrann';

const optionalString = () => z.optional(z.nullable(z.string()));

// Only the fields the refresher reads are checked; every other field passes through untouched.
function buildDocSchema() {
  return z.looseObject({
    auth_mode: optionalString(),
    OPENAI_API_KEY: optionalString(),
    tokens: z.optional(z.nullable(z.looseObject({ refresh_token: optionalString() }))),
    last_refresh: z.optional(z.unknown()),
  });
}

function buildAnswerSchema() {
  const token = z.string().check(z.minLength(1));
  // The CLI refuses to load a file whose id_token is not a JWT: never write one.
  const jwt = z.string().check(z.refine(isJwtShaped));
  return z.looseObject({ id_token: z.optional(jwt), access_token: z.optional(token), refresh_token: z.optional(token) });
}

const TOKEN_FIELDS = ['id_token', 'access_token', 'refresh_token'] as const;

const readDoc = documentReader(buildDocSchema, 'auth.json');
const answerSchema = lazySchema(buildAnswerSchema);

function inspect(raw: Doc): Inspection {
  const doc = readDoc(raw);
  const tokens = isPlainObject(raw.tokens) ? raw.tokens : undefined;
  if (tokens) for (const field of TOKEN_FIELDS) registerSecret(nonEmpty(tokens[field]));
  registerSecret(nonEmpty(doc.OPENAI_API_KEY));

  const mode = doc.auth_mode ?? undefined;
  if (mode === 'apikey') return { kind: 'skip', reason: 'apikey_mode', message: 'auth.json is in API-key mode: nothing to refresh' };
  if (mode !== undefined && mode !== 'chatgpt') {
    return { kind: 'skip', reason: 'unsupported_auth_mode', message: `auth.json auth_mode is "${mode.slice(0, 40)}": not refreshed by this watchdog` };
  }
  // Without auth_mode the CLI (0.169) uses an API key when one is present, tokens or not.
  if (mode === undefined && nonEmpty(doc.OPENAI_API_KEY)) {
    return { kind: 'skip', reason: 'apikey_mode', message: 'auth.json holds an API key (and no auth_mode): the CLI uses the key, nothing to refresh' };
  }
  const refreshToken = nonEmpty(doc.tokens?.refresh_token);
  if (!refreshToken) return { kind: 'skip', reason: 'no_refresh_token', message: 'auth.json has no refresh token: nothing to refresh' };
  return { kind: 'oauth', refreshToken, expiresAtMs: jwtExpiryMs(tokens?.access_token), lastRefreshMs: codexTimeMs(doc.last_refresh) };
}

export const codexProvider: Provider = {
  agent: 'codex',
  label: 'auth.json',
  usesMaxAge: true,
  inspect,
  tokenUrl: (settings: Settings) => settings.refresh.codexTokenUrl,
  requestBody: (refreshToken) => ({ client_id: CODEX_CLIENT_ID, grant_type: 'refresh_token', refresh_token: refreshToken }),
  prepare: answerSchema.warm,
  parseAnswer(body) {
    const parsed = answerSchema.get().safeParse(body);
    if (!parsed.success) return undefined;
    const update: Update = {};
    for (const field of TOKEN_FIELDS) {
      const value = parsed.data[field];
      if (value !== undefined) update[field] = value;
    }
    return Object.keys(update).length > 0 ? update : undefined;
  },
  apply(doc, update, now) {
    const tokens: Doc = isPlainObject(doc.tokens) ? { ...doc.tokens } : {};
    for (const field of TOKEN_FIELDS) if (update[field] !== undefined) tokens[field] = update[field];
    return { ...doc, tokens, last_refresh: new Date(now).toISOString() };
  },
  refreshTokenOf: (doc) => (isPlainObject(doc.tokens) ? nonEmpty(doc.tokens.refresh_token) : undefined),
};
