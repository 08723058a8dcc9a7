// Process-wide registry of secret values (tokens, keys, CODEX_SESSION) that must never be printed.
// Every writer of logs and probe output passes its text through `scrub`; structured log fields
// whose key names a secret are replaced before they are serialised (`scrubFields`).

const REDACTED = '[redacted]';
/** Shorter strings are not treated as secrets: they would mask ordinary words. */
const MIN_SECRET_LENGTH = 8;
/** Secrets from the environment (API keys, CODEX_SESSION): masked for the whole life of the process. */
const permanent = new Set<string>();
/**
 * Secrets read from credential files and token answers, in the order they were last registered.
 * Every check registers the tokens in use again, so only retired ones age: the oldest drop out once
 * more than MAX_ROTATING are held. At the default schedule (a few strings per refresh, a refresh
 * every few hours) that is weeks after a token was retired: a spent refresh token is worthless and
 * an access token has expired by then. Unbounded, a supervisor running for months would hold every
 * token it ever saw and scrub each log line against all of them.
 */
const rotating = new Map<string, true>();
const MAX_ROTATING = 512;

function hold(value: string, forever: boolean): void {
  if (forever) {
    permanent.add(value);
    return;
  }
  if (permanent.has(value)) return;
  rotating.delete(value);
  rotating.set(value, true);
  if (rotating.size > MAX_ROTATING) rotating.delete(rotating.keys().next().value!);
}

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

/**
 * Registers a secret value (and, for JSON, every string inside it) so it is masked everywhere.
 * `permanent`: a secret from the environment, never dropped (see `rotating` for the others).
 */
export function registerSecret(value: string | undefined, options: { permanent?: boolean } = {}): void {
  if (value === undefined || value.length < MIN_SECRET_LENGTH) return;
  const forever = options.permanent ?? false;
  hold(value, forever);
  const trimmed = value.trim();
  if (trimmed.startsWith('{')) {
    try {
      collectStrings(JSON.parse(trimmed), forever);
    } catch {
      // not JSON: the whole value is already registered
    }
  }
}

function collectStrings(value: unknown, forever: boolean): void {
  if (typeof value === 'string') {
    if (value.length >= MIN_SECRET_LENGTH && /[A-Za-z0-9_-]{16,}/.test(value)) hold(value, forever);
  } else if (Array.isArray(value)) {
    value.forEach((item) => collectStrings(item, forever));
  } else if (value !== null && typeof value === 'object') {
    Object.values(value).forEach((item) => collectStrings(item, forever));
  }
}

/** How many secrets are held (permanent and rotating): bounded, whatever the process's age. */
export function heldSecrets(): number {
  return permanent.size + rotating.size;
}

function mask(text: string, secrets: Iterable<string>): string {
  let out = text;
  for (const secret of secrets) {
    if (out.includes(secret)) out = out.split(secret).join(REDACTED);
  }
  return out;
}

/** Replaces every registered secret in a text. */
export function scrub(text: string): string {
  return mask(mask(text, permanent), rotating.keys());
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
