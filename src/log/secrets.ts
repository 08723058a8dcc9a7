// Process-wide registry of secret values (tokens, keys, CODEX_SESSION) that must never be printed.
// Every writer of logs and probe output passes its text through `scrub`; structured log fields
// whose key names a secret are replaced before they are serialised (`scrubFields`).

const REDACTED = '[redacted]';
/** Shorter strings are not treated as secrets: they would mask ordinary words. */
const MIN_SECRET_LENGTH = 8;
const secrets = new Set<string>();

/** Keys whose values are secrets wherever they appear in a logged object (compared lower-case). */
const SECRET_KEYS = new Set([
  'tokens',
  'id_token',
  'access_token',
  'refresh_token',
  'accesstoken',
  'refreshtoken',
  'authorization',
  'codex_session',
  'openai_api_key',
  'codex_api_key',
  'anthropic_api_key',
  'claude_code_oauth_token',
  'api_key',
  'apikey',
  'password',
  'cookie',
  'set-cookie',
]);

/** Registers a secret value (and, for JSON, every string inside it) so it is masked everywhere. */
export function registerSecret(value: string | undefined): void {
  if (value === undefined || value.length < MIN_SECRET_LENGTH) return;
  secrets.add(value);
  const trimmed = value.trim();
  if (trimmed.startsWith('{')) {
    try {
      collectStrings(JSON.parse(trimmed));
    } catch {
      // not JSON: the whole value is already registered
    }
  }
}

function collectStrings(value: unknown): void {
  if (typeof value === 'string') {
    if (value.length >= MIN_SECRET_LENGTH && /[A-Za-z0-9_-]{16,}/.test(value)) secrets.add(value);
  } else if (Array.isArray(value)) {
    value.forEach(collectStrings);
  } else if (value !== null && typeof value === 'object') {
    Object.values(value).forEach(collectStrings);
  }
}

/** Replaces every registered secret in a text. */
export function scrub(text: string): string {
  let out = text;
  for (const secret of secrets) {
    if (out.includes(secret)) out = out.split(secret).join(REDACTED);
  }
  return out;
}

/** True when a field name holds a secret (`tokens`, `accessToken`, `Authorization`, ...). */
export function isSecretKey(key: string): boolean {
  return SECRET_KEYS.has(key.toLowerCase());
}

/** A copy of a log record with the values of secret keys replaced, at any depth. */
export function scrubFields<T>(value: T, depth = 0): T {
  if (depth > 8 || value === null || typeof value !== 'object') return value;
  if (value instanceof Error) return value;
  if (Array.isArray(value)) return value.map((item) => scrubFields(item, depth + 1)) as T;
  const out: Record<string, unknown> = {};
  for (const [key, field] of Object.entries(value)) {
    out[key] = isSecretKey(key) ? REDACTED : scrubFields(field, depth + 1);
  }
  return out as T;
}
