// Whether a refresh is due: when the access token expires within the margin, or (codex) when
// last_refresh is older than the maximum age, or when neither can be read.

export interface DueInput {
  expiresAtMs: number | undefined;
  lastRefreshMs: number | undefined;
  usesMaxAge: boolean;
  marginMs: number;
  maxAgeMs: number;
  now: number;
}

export interface Due {
  due: boolean;
  /** The moment the refresh becomes (or became) due. */
  dueAtMs: number;
  /** Why, for the log: 'expiry', 'max_age' or 'unreadable'. */
  cause: 'expiry' | 'max_age' | 'unreadable';
}

export function decideDue(input: DueInput): Due {
  const candidates: Array<[number, Due['cause']]> = [];
  if (input.expiresAtMs !== undefined) candidates.push([input.expiresAtMs - input.marginMs, 'expiry']);
  if (input.usesMaxAge && input.lastRefreshMs !== undefined) candidates.push([input.lastRefreshMs + input.maxAgeMs, 'max_age']);
  if (candidates.length === 0) return { due: true, dueAtMs: input.now, cause: 'unreadable' };
  const [dueAtMs, cause] = candidates.reduce((soonest, candidate) => (candidate[0] < soonest[0] ? candidate : soonest));
  return { due: dueAtMs <= input.now, dueAtMs, cause };
}
