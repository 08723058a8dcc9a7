// Turns a token endpoint's error answer into an outcome: 401 and the dead-token codes are
// permanent (only a new login helps); 408, 429, 5xx and anything else are worth retrying.
import { permanent, transient, type Outcome } from './outcome.js';

/** Codes that mean the refresh token will never work again (codex's and OAuth's). */
export const PERMANENT_CODES = ['refresh_token_expired', 'refresh_token_reused', 'refresh_token_invalidated', 'invalid_grant'] as const;

/** The error code of an answer: `{"error": {"code": ...}}`, `{"error": "..."}` or `{"code": ...}`. */
export function errorCode(text: string): string | undefined {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (body === null || typeof body !== 'object' || Array.isArray(body)) return undefined;
  const { error, code } = body as { error?: unknown; code?: unknown };
  const found =
    error !== null && typeof error === 'object' && typeof (error as { code?: unknown }).code === 'string'
      ? (error as { code: string }).code
      : typeof error === 'string'
        ? error
        : typeof code === 'string'
          ? code
          : undefined;
  return found?.toLowerCase();
}

/** The outcome of a non-2xx answer. */
export function classifyError(status: number, text: string): Outcome {
  const code = errorCode(text);
  const known = (PERMANENT_CODES as readonly string[]).find((candidate) => candidate === code);
  if (known && status >= 400 && status < 500) return permanent(known);
  if (status === 401) return permanent('http_401');
  return transient(`http_${status}`);
}
