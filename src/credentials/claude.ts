// Claude Code credentials ($CLAUDE_CONFIG_DIR/.credentials.json on Linux): pure functions from
// the file's text and a clock to a verdict, and the rule of the artifact scan that stands in when
// the file is absent (CLI versions have moved it).
//
// Claude Code 2.1.330 treats the login as present when claudeAiOauth.accessToken is non-empty and
// scopes include user:inference (`claude auth status`). That is presence only: an access token
// that expired with no refresh token, or expiresAt 0 after a failed refresh, is "logged in" to
// it and fails on the first request. Those are invalid here.
import { isPlainObject } from '../layers/merge.js';
import { invalid, isBlank, isoTime, jsonType, missing, ok, parseCredentialsObject, type CredentialVerdict } from './verdict.js';

/** The scope Claude Code requires of an OAuth login before it uses it. */
export const INFERENCE_SCOPE = 'user:inference';

/** The OAuth entry of .credentials.json; unknown fields are kept by whoever rewrites it. */
export interface ClaudeOauth {
  accessToken: string;
  refreshToken?: string | null;
  /** Access-token expiry, ms since the epoch. */
  expiresAt?: number | null;
  scopes: string[];
  [unknown: string]: unknown;
}

export interface ClaudeCredentialsJson {
  claudeAiOauth?: ClaudeOauth | null;
  [unknown: string]: unknown;
}

export type ClaudeParse = { credentials: ClaudeCredentialsJson; oauth: ClaudeOauth } | { verdict: CredentialVerdict };

/** Why claudeAiOauth does not have the CLI's shape, if it does not. */
function oauthShapeProblem(oauth: Record<string, unknown>): CredentialVerdict | undefined {
  if (oauth.accessToken !== undefined && oauth.accessToken !== null && typeof oauth.accessToken !== 'string') {
    return invalid('wrong-shape', `claudeAiOauth.accessToken is ${jsonType(oauth.accessToken)}, not a string`);
  }
  if (oauth.refreshToken !== undefined && oauth.refreshToken !== null && typeof oauth.refreshToken !== 'string') {
    return invalid('wrong-shape', `claudeAiOauth.refreshToken is ${jsonType(oauth.refreshToken)}, not a string`);
  }
  if (oauth.expiresAt !== undefined && oauth.expiresAt !== null && (typeof oauth.expiresAt !== 'number' || !Number.isFinite(oauth.expiresAt))) {
    return invalid('wrong-shape', `claudeAiOauth.expiresAt is ${jsonType(oauth.expiresAt)}, not a number of milliseconds`);
  }
  if (oauth.scopes !== undefined && oauth.scopes !== null && !Array.isArray(oauth.scopes)) {
    return invalid('wrong-shape', `claudeAiOauth.scopes is ${jsonType(oauth.scopes)}, not an array`);
  }
  return undefined;
}

/** Parses .credentials.json; a verdict instead when it holds no usable OAuth entry shape. */
export function parseClaudeCredentials(text: string): ClaudeParse {
  const parsed = parseCredentialsObject(text);
  if ('verdict' in parsed) return parsed;
  const value = parsed.value;
  const oauth = value.claudeAiOauth;
  // The file also holds MCP servers' OAuth state; without claudeAiOauth it holds no Claude login.
  if (oauth === undefined || oauth === null) return { verdict: missing('no-login', 'holds no Claude login (no claudeAiOauth entry)') };
  if (!isPlainObject(oauth)) return { verdict: invalid('wrong-shape', `claudeAiOauth is ${jsonType(oauth)}, not an object`) };
  const problem = oauthShapeProblem(oauth);
  return problem ? { verdict: problem } : { credentials: value as ClaudeCredentialsJson, oauth: oauth as ClaudeOauth };
}

/** The verdict on the login when there is no refresh token: only an unexpired access token will do. */
function judgeWithoutRefresh(expiresAt: number | null | undefined, nowMs: number): CredentialVerdict {
  if (expiresAt === 0) return invalid('blanked', 'claudeAiOauth.expiresAt is 0 and there is no refresh token (blanked, as a failed refresh leaves it)');
  if (expiresAt === undefined || expiresAt === null) return ok('valid', 'Claude login without a refresh token; the access token records no expiry');
  if (expiresAt <= nowMs) {
    return invalid('expired', `the access token expired at ${isoTime(expiresAt)} and there is no refresh token to renew it`, expiresAt);
  }
  return ok('valid', `Claude login without a refresh token; the access token is valid until ${isoTime(expiresAt)}, then a new login is needed`, expiresAt);
}

/** The verdict on the text of a .credentials.json at time `nowMs`. Never quotes a value from the file. */
export function judgeClaudeCredentials(text: string, nowMs: number): CredentialVerdict {
  const parsed = parseClaudeCredentials(text);
  if ('verdict' in parsed) return parsed.verdict;
  const { accessToken, refreshToken, expiresAt, scopes } = parsed.oauth;
  const noRefresh = isBlank(refreshToken);
  if (isBlank(accessToken)) {
    const what = noRefresh ? 'claudeAiOauth.accessToken and refreshToken are' : 'claudeAiOauth.accessToken is';
    return invalid('blanked', `${what} empty (blanked, as a failed refresh leaves them); the CLI treats the login as absent`);
  }
  if (!Array.isArray(scopes) || !scopes.includes(INFERENCE_SCOPE)) {
    return invalid('missing-scope', `claudeAiOauth.scopes ${Array.isArray(scopes) ? 'lack' : 'are missing, so they lack'} ${INFERENCE_SCOPE}, which the CLI requires`);
  }
  if (noRefresh) return judgeWithoutRefresh(expiresAt, nowMs);
  if (typeof expiresAt === 'number' && expiresAt <= nowMs) {
    return ok('refreshable', `Claude login; the access token expired at ${isoTime(expiresAt)} and the CLI refreshes it with the refresh token`, expiresAt);
  }
  const until = typeof expiresAt === 'number' ? `the access token is valid until ${isoTime(expiresAt)}` : 'the access token records no expiry';
  return ok('valid', `Claude login with a refresh token; ${until}`, typeof expiresAt === 'number' ? expiresAt : undefined);
}

// ---- the artifact scan -------------------------------------------------------------------------

/** The source design's baseline files: never credentials, at any depth. */
export const BASELINE_FILES: readonly string[] = ['CLAUDE.md', 'config.toml', 'settings.json'];

/**
 * Top-level entries of the config dir that Claude Code writes without holding credentials. Counting
 * them would call a logged-out slot "logged in": with 2.1.330, a login attempt that never completes,
 * `claude auth status` and `claude auth logout` all leave .claude.json, backups/ and telemetry/
 * behind (logout deletes .credentials.json and nothing else); sessions add the rest.
 */
export const CLI_STATE_ENTRIES: readonly string[] = [
  '.claude.json',
  'backups',
  'telemetry',
  'statsig',
  'projects',
  'todos',
  'shell-snapshots',
  'session-env',
  'file-history',
  'ide',
  'debug',
  'plugins',
  'history.jsonl',
  'settings.local.json',
];

/**
 * True when `rel` (a path relative to the config dir, "/"-separated) can count as a credential
 * artifact. `ownFiles` are this program's files there: its bookkeeping and what the layers wrote.
 */
export function isArtifactCandidate(rel: string, ownFiles: ReadonlySet<string>): boolean {
  const parts = rel.split('/');
  if (CLI_STATE_ENTRIES.includes(parts[0]!)) return false;
  if (BASELINE_FILES.includes(parts.at(-1)!)) return false;
  return !ownFiles.has(rel);
}
