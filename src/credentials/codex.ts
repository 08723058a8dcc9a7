// Codex CLI credentials ($CODEX_HOME/auth.json): pure functions from the file's text and a clock
// to a verdict. Two layers of checks:
//
// 1. What the CLI itself loads. codex-cli 0.169.0 deserialises auth.json strictly (serde): a field
//    of the wrong type, an unknown auth_mode, a last_refresh that is not an RFC 3339 time or an
//    id_token that is not a JWT with a JSON object payload makes it refuse the whole file
//    ("failed to deserialize CLI auth"), so the operator sees a login prompt. Each of those is
//    invalid here too (test/real-cli checks the agreement against `codex login status`).
// 2. What a presence check misses. The CLI calls `{}`, blanked tokens or an empty API key
//    "logged in"; none of them can authenticate a request, so they are invalid here.
//
// Unknown fields are accepted (newer CLI builds add them) and never inspected.
import { isPlainObject } from '../layers/merge.js';
import { jwtExpiryMs } from '../util/jwt.js';
import { invalid, isBlank, isoTime, jsonType, ok, parseCredentialsObject, type CredentialVerdict } from './verdict.js';

/** auth_mode values the pinned CLI accepts (it refuses the file for any other). */
export const CODEX_AUTH_MODES = ['apikey', 'chatgpt', 'chatgptAuthTokens', 'agentIdentity', 'personalAccessToken', 'bedrockApiKey'] as const;
export type CodexAuthMode = (typeof CODEX_AUTH_MODES)[number];

export interface CodexTokens {
  /** A JWT; the CLI parses its payload on load. */
  id_token: string;
  /** Usually a JWT whose `exp` says when it expires; the CLI does not parse it. */
  access_token: string;
  /** Single-use: every refresh returns a new one. */
  refresh_token: string;
  account_id?: string | null;
  [unknown: string]: unknown;
}

/** The shape of auth.json, as far as this program relies on it; unknown fields are kept. */
export interface CodexAuthJson {
  auth_mode?: CodexAuthMode | null;
  OPENAI_API_KEY?: string | null;
  tokens?: CodexTokens | null;
  /** RFC 3339, set by the CLI (and by refreshers) on every refresh. */
  last_refresh?: string | null;
  [unknown: string]: unknown;
}

export type CodexParse = { auth: CodexAuthJson } | { verdict: CredentialVerdict };

const OPTIONAL_STRINGS = ['OPENAI_API_KEY', 'agent_identity', 'personal_access_token'] as const;
const ID_CLAIM_OBJECTS: Record<string, readonly string[]> = {
  'https://api.openai.com/profile': ['email'],
  'https://api.openai.com/auth': ['chatgpt_plan_type', 'chatgpt_user_id', 'user_id', 'chatgpt_account_id'],
};

const isOptionalString = (value: unknown) => value === undefined || value === null || typeof value === 'string';

/** Why the JSON object `claims` would not deserialise as the CLI's id_token claims, if it would not. */
function idClaimsProblem(claims: Record<string, unknown>): string | undefined {
  if (!isOptionalString(claims.email)) return 'its email claim is not a string';
  for (const [name, fields] of Object.entries(ID_CLAIM_OBJECTS)) {
    const value = claims[name];
    if (value === undefined || value === null) continue;
    if (!isPlainObject(value)) return `its ${name} claim is not an object`;
    const bad = fields.find((field) => !isOptionalString(value[field]));
    if (bad !== undefined) return `its ${name} claim has a ${bad} that is not a string`;
  }
  return undefined;
}

/**
 * Why the CLI would refuse `token` as an id_token, or undefined when it loads it. The CLI's rule
 * is stricter than a JWT shape check: the first three dot-separated parts must be non-empty, the
 * payload canonical unpadded base64url of a JSON object whose known claims have the right types.
 */
export function codexIdTokenProblem(token: string): string | undefined {
  const [header, payload, signature] = token.split('.');
  if (!header || !payload || !signature) return 'is not a JWT (three non-empty parts: header.payload.signature)';
  if (!/^[A-Za-z0-9_-]+$/.test(payload) || Buffer.from(payload, 'base64url').toString('base64url') !== payload) {
    return 'has a payload that is not unpadded base64url';
  }
  let claims: unknown;
  try {
    claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
  } catch {
    return 'has a payload that is not JSON';
  }
  if (!isPlainObject(claims)) return `has a payload that is ${jsonType(claims)}, not a JSON object`;
  const problem = idClaimsProblem(claims);
  return problem === undefined ? undefined : `has a payload the CLI cannot read: ${problem}`;
}

const TIMESTAMP = /^([+-]?\d{4,})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(\.\d+)? ?([Zz]|[+-]\d{2}:?\d{2})$/;

/** True when `text` is a time the CLI's last_refresh accepts (RFC 3339 with an offset, as chrono parses it). */
export function isCodexTimestamp(text: string): boolean {
  const match = TIMESTAMP.exec(text);
  if (!match) return false;
  const [year, month, day, hour, minute, second] = match.slice(1, 7).map(Number) as [number, number, number, number, number, number];
  const daysInMonth = new Date(Date.UTC(year, month, 0)).getUTCDate();
  return month >= 1 && month <= 12 && day >= 1 && day <= daysInMonth && hour <= 23 && minute <= 59 && second <= 60;
}

const TOKEN_FIELDS = ['id_token', 'access_token', 'refresh_token'] as const;

/** invalid/blanked naming the empty tokens, or undefined when none is empty. */
function blankedTokens(tokens: Record<string, unknown>): CredentialVerdict | undefined {
  const blank = TOKEN_FIELDS.filter((field) => isBlank(tokens[field]));
  if (blank.length === 0) return undefined;
  return invalid('blanked', `tokens.${blank.join(', tokens.')} ${blank.length > 1 ? 'are' : 'is'} empty (blanked, as a failed refresh leaves them)`);
}

/** Why the CLI would refuse the token set, if it would. */
function tokensProblem(tokens: Record<string, unknown>): CredentialVerdict | undefined {
  for (const field of TOKEN_FIELDS) {
    if (typeof tokens[field] !== 'string') {
      return invalid('wrong-shape', `tokens.${field} is ${tokens[field] === undefined ? 'missing' : `${jsonType(tokens[field])}, not a string`}`);
    }
  }
  if (!isOptionalString(tokens.account_id)) return invalid('wrong-shape', `tokens.account_id is ${jsonType(tokens.account_id)}, not a string`);
  const idToken = tokens.id_token as string;
  // The CLI refuses an empty id_token whatever the mode; name every blanked token at once.
  if (isBlank(idToken)) return blankedTokens(tokens);
  const problem = codexIdTokenProblem(idToken);
  return problem === undefined ? undefined : invalid('malformed-id-token', `tokens.id_token ${problem}; the CLI refuses to load the file`);
}

/** Why the CLI would refuse the parsed object, if it would. */
function shapeProblem(value: Record<string, unknown>): CredentialVerdict | undefined {
  const mode = value.auth_mode;
  if (mode !== undefined && mode !== null) {
    if (typeof mode !== 'string') return invalid('wrong-shape', `auth_mode is ${jsonType(mode)}, not a string`);
    if (!(CODEX_AUTH_MODES as readonly string[]).includes(mode)) {
      const shown = /^[A-Za-z_-]{1,40}$/.test(mode) ? ` "${mode}"` : '';
      return invalid('unknown-auth-mode', `auth_mode${shown} is not one the CLI knows (${CODEX_AUTH_MODES.join(', ')})`);
    }
  }
  const badString = OPTIONAL_STRINGS.find((field) => !isOptionalString(value[field]));
  if (badString !== undefined) return invalid('wrong-shape', `${badString} is ${jsonType(value[badString])}, not a string`);
  const { tokens, last_refresh: lastRefresh } = value;
  if (tokens !== undefined && tokens !== null) {
    if (!isPlainObject(tokens)) return invalid('wrong-shape', `tokens is ${jsonType(tokens)}, not an object`);
    const problem = tokensProblem(tokens);
    if (problem) return problem;
  }
  if (lastRefresh !== undefined && lastRefresh !== null && (typeof lastRefresh !== 'string' || !isCodexTimestamp(lastRefresh))) {
    return invalid('wrong-shape', 'last_refresh is not an RFC 3339 time with an offset (such as 2026-01-01T00:00:00Z)');
  }
  return undefined;
}

/** Parses auth.json as the CLI would; a verdict instead when the CLI would refuse the file. */
export function parseCodexAuth(text: string): CodexParse {
  const parsed = parseCredentialsObject(text);
  if ('verdict' in parsed) return parsed;
  const value = parsed.value;
  const problem = shapeProblem(value);
  return problem ? { verdict: problem } : { auth: value as CodexAuthJson };
}

/** The mode the CLI acts on: auth_mode, else apikey when OPENAI_API_KEY is a string, else chatgpt. */
export function effectiveCodexMode(auth: CodexAuthJson): CodexAuthMode {
  if (auth.auth_mode) return auth.auth_mode;
  return typeof auth.OPENAI_API_KEY === 'string' ? 'apikey' : 'chatgpt';
}

/** When the access token expires (ms since the epoch), from its `exp` claim, if it has one. */
export function codexAccessTokenExpiry(auth: CodexAuthJson): number | undefined {
  return jwtExpiryMs(auth.tokens?.access_token);
}

/** A last_refresh value as ms since the epoch, for any form the CLI writes or accepts; undefined otherwise. */
export function codexTimeMs(value: unknown): number | undefined {
  if (typeof value !== 'string') return undefined;
  // Date.parse wants `T` and no space before the offset; RFC 3339 as chrono reads it allows both.
  const ms = Date.parse(value.replace(/^(\S+)[Tt ](\S+?) ?([Zz]|[+-]\d{2}:?\d{2})$/, '$1T$2$3'));
  return Number.isNaN(ms) ? undefined : ms;
}

/** A ChatGPT login is usable when its tokens are there and not blanked; an expired access token is fine. */
function judgeChatgpt(auth: CodexAuthJson, mode: CodexAuthMode, nowMs: number): CredentialVerdict {
  const tokens = auth.tokens;
  if (!tokens) return invalid('no-tokens', `auth_mode is ${mode}${auth.auth_mode ? '' : ' (implied)'} but there are no tokens: the file holds no login`);
  const blanked = blankedTokens(tokens);
  if (blanked) return blanked;
  const expiresAt = codexAccessTokenExpiry(auth);
  if (expiresAt === undefined) return ok('valid', 'ChatGPT login with a refresh token (the access token records no expiry)');
  if (expiresAt <= nowMs) {
    return ok('refreshable', `ChatGPT login; the access token expired at ${isoTime(expiresAt)} and the CLI refreshes it with the refresh token`, expiresAt);
  }
  return ok('valid', `ChatGPT login; the access token is valid until ${isoTime(expiresAt)}`, expiresAt);
}

/** Modes whose material this program can only check for presence (the CLI verifies it over the network). */
const PRESENCE_ONLY: Partial<Record<CodexAuthMode, string>> = {
  agentIdentity: 'agent_identity',
  personalAccessToken: 'personal_access_token',
  bedrockApiKey: 'bedrock_api_key',
};

/** The verdict on the text of an auth.json at time `nowMs`. Never quotes a value from the file. */
export function judgeCodexAuth(text: string, nowMs: number): CredentialVerdict {
  const parsed = parseCodexAuth(text);
  if ('verdict' in parsed) return parsed.verdict;
  const auth = parsed.auth;
  const mode = effectiveCodexMode(auth);
  if (mode === 'apikey') {
    return isBlank(auth.OPENAI_API_KEY)
      ? invalid('no-api-key', `auth_mode is apikey${auth.auth_mode ? '' : ' (implied)'} but OPENAI_API_KEY is empty`)
      : ok('valid', 'API key login');
  }
  const field = PRESENCE_ONLY[mode];
  if (field !== undefined) {
    return isBlank(auth[field]) ? invalid('blanked', `auth_mode is ${mode} but ${field} is empty`) : ok('valid', `${mode} login (present; checked by the CLI when used)`);
  }
  return judgeChatgpt(auth, mode, nowMs);
}
