// JWT inspection without verification: the CLIs' tokens are only read here to learn their expiry
// and to check their shape (codex refuses to load an auth.json whose id_token is not JWT-shaped).

/** True when `token` has the three base64url segments of a JWS compact serialisation. */
export function isJwtShaped(token: unknown): token is string {
  return typeof token === 'string' && /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/.test(token);
}

/** The decoded payload of a JWT, or undefined when it is not a JWT with a JSON object payload. */
export function decodeJwtPayload(token: unknown): Record<string, unknown> | undefined {
  if (!isJwtShaped(token)) return undefined;
  try {
    const payload = JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString('utf8')) as unknown;
    return payload !== null && typeof payload === 'object' && !Array.isArray(payload) ? (payload as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** The `exp` claim in milliseconds since the epoch, if the token has a numeric one. */
export function jwtExpiryMs(token: unknown): number | undefined {
  const exp = decodeJwtPayload(token)?.exp;
  return typeof exp === 'number' && Number.isFinite(exp) ? exp * 1000 : undefined;
}
