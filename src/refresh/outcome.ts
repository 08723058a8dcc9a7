// What one check concluded, in the words of the peer watchdog's contract: the status-file label
// (`refreshed`, `skip:not_due`, `fail:transient_http_503`, ...) and the `--once` exit code.
import { EXIT } from '../errors.js';

export const SKIP_REASONS = [
  'no_auth_json',
  'not_due',
  'apikey_mode',
  'no_refresh_token',
  'refreshed_elsewhere',
  'disabled',
  'unsupported_auth_mode',
] as const;
export type SkipReason = (typeof SKIP_REASONS)[number];

export type Outcome =
  | { kind: 'refreshed' }
  | { kind: 'skip'; reason: SkipReason }
  /** Try again later (network, 5xx, 429, timeouts, a busy lock, a malformed answer). */
  | { kind: 'transient'; code: string }
  /** The token is dead or the file unusable: only a new login (auth-init) helps. */
  | { kind: 'permanent'; reason: string };

/** What is known about the token after a check (all optional: a file may say little). */
export interface TokenState {
  /** When the access token expires. */
  expiresAtMs?: number | undefined;
  /** When a refresh becomes due (the margin before expiry, or the maximum age). */
  dueAtMs?: number | undefined;
  /** When the tokens were last refreshed (codex: the file's last_refresh). */
  lastRefreshMs?: number | undefined;
}

export interface CheckResult {
  outcome: Outcome;
  state: TokenState;
  /** One sentence for the operator; never a secret. */
  message: string;
  /** When the check ran. */
  at: number;
}

export function outcomeLabel(outcome: Outcome): string {
  switch (outcome.kind) {
    case 'refreshed':
      return 'refreshed';
    case 'skip':
      return `skip:${outcome.reason}`;
    case 'transient':
      return `fail:transient_${outcome.code}`;
    case 'permanent':
      return `fail:permanent_${outcome.reason}`;
  }
}

export function exitCodeFor(outcome: Outcome): number {
  switch (outcome.kind) {
    case 'refreshed':
      return EXIT.ok;
    case 'skip':
      return EXIT.refreshSkipped;
    case 'transient':
      return EXIT.refreshTransient;
    case 'permanent':
      return EXIT.refreshPermanent;
  }
}

export const skip = (reason: SkipReason): Outcome => ({ kind: 'skip', reason });
export const transient = (code: string): Outcome => ({ kind: 'transient', code });
export const permanent = (reason: string): Outcome => ({ kind: 'permanent', reason });

/** ISO 8601 in UTC with a `Z`, or null. */
export function isoOrNull(ms: number | undefined): string | null {
  return ms === undefined || !Number.isFinite(ms) ? null : new Date(ms).toISOString();
}
