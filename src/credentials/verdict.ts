// The verdict on a slot's credentials, shared by smoke-test, auth-init, doctor (and refresh).
// A verdict never holds a secret: details name fields and positions, never values.
import { isPlainObject } from '../layers/merge.js';
import { parseJsonText, positionOf } from '../layers/parse.js';

/** ok: usable; missing: nothing to use (the slot needs auth-init); invalid: present but unusable (re-auth). */
export type CredentialStatus = 'ok' | 'missing' | 'invalid';

/**
 * Why, as a stable machine-readable word (README documents each one).
 * ok:      env, valid, refreshable (access token expired, refresh token present), artifact-found
 * missing: absent, no-login
 * invalid: unreadable, not-a-file, too-large, empty, not-json, wrong-shape, unknown-auth-mode,
 *          blanked, malformed-id-token, no-api-key, no-tokens, expired, missing-scope, walk-error
 */
export type CredentialReason =
  | 'env'
  | 'valid'
  | 'refreshable'
  | 'artifact-found'
  | 'absent'
  | 'no-login'
  | 'unreadable'
  | 'not-a-file'
  | 'too-large'
  | 'empty'
  | 'not-json'
  | 'wrong-shape'
  | 'unknown-auth-mode'
  | 'blanked'
  | 'malformed-id-token'
  | 'no-api-key'
  | 'no-tokens'
  | 'expired'
  | 'missing-scope'
  | 'walk-error';

export interface CredentialVerdict {
  status: CredentialStatus;
  reason: CredentialReason;
  /** One secret-free sentence about the content (the caller adds the path and the remedy). */
  detail: string;
  /** When the access token expires or expired (ms since the epoch), if the credentials record it. */
  accessTokenExpiresAt?: number | undefined;
}

export const ok = (reason: CredentialReason, detail: string, accessTokenExpiresAt?: number): CredentialVerdict => ({
  status: 'ok',
  reason,
  detail,
  accessTokenExpiresAt,
});

export const missing = (reason: CredentialReason, detail: string): CredentialVerdict => ({ status: 'missing', reason, detail });

export const invalid = (reason: CredentialReason, detail: string, accessTokenExpiresAt?: number): CredentialVerdict => ({
  status: 'invalid',
  reason,
  detail,
  accessTokenExpiresAt,
});

/** An ISO-8601 UTC time for messages and JSON output. */
export function isoTime(ms: number): string {
  return new Date(ms).toISOString();
}

/** A value is "blank" when it is missing, null or a string of whitespace: what a failed refresh leaves. */
export function isBlank(value: unknown): boolean {
  return value === undefined || value === null || (typeof value === 'string' && value.trim() === '');
}

/** The JSON type of a value, for "wrong shape" messages that must not quote the value itself. */
export function jsonType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}

/**
 * Parses a credentials file's text into a JSON object as the CLIs read it (neither accepts a
 * byte-order mark), or the verdict that says why not, citing a position, never the text.
 */
export function parseCredentialsObject(text: string): { verdict: CredentialVerdict } | { value: Record<string, unknown> } {
  if (text.trim() === '') return { verdict: invalid('empty', 'is empty') };
  if (text.charCodeAt(0) === 0xfeff) {
    return { verdict: invalid('not-json', 'starts with a byte-order mark, which the CLI cannot parse; save it without one') };
  }
  let value: unknown;
  try {
    value = parseJsonText(text);
  } catch (error) {
    return { verdict: invalid('not-json', `is not valid JSON${positionOf(error)}`) };
  }
  return isPlainObject(value) ? { value } : { verdict: invalid('wrong-shape', `is ${jsonType(value)}, not a JSON object`) };
}
