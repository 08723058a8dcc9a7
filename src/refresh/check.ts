// One check: read the credentials, decide, and when a refresh is due, redeem the refresh token
// under the lock and write the answer back atomically. The order is what keeps a rotated token
// from being lost or redeemed twice:
//   lock -> re-read (changed: someone else refreshed) -> reserve the temp file -> POST ->
//   validate -> re-read (changed: a new login landed; keep it) -> write -> unlock.
// Waiting (for the lock) can be interrupted; a request in flight always runs to its own timeout,
// because abandoning it after the server rotated the token would lose the new one.
import path from 'node:path';
import { lockFileFor } from '../credentials/files.js';
import { describeErrno, errnoCode } from '../errors.js';
import { removeStaleTemps, writeFileAtomicSync } from '../fs/atomic.js';
import type { Logger } from '../log/logger.js';
import { registerSecret } from '../log/secrets.js';
import type { Settings } from '../settings/env.js';
import { classifyError } from './classify.js';
import type { Clock } from './clock.js';
import { resolvedCredentialsPath, identityOf, providerFor, readCredentials, refreshTokenOnDisk, sameIdentity, UnreadableCredentials, type Read } from './credentials.js';
import { decideDue } from './decide.js';
import { HttpError, postJson } from './http.js';
import { acquireLock, LockBusyError, LockInterruptedError, releaseLock } from './lock.js';
import { isoOrNull, permanent, skip, transient, type CheckResult, type Outcome, type TokenState } from './outcome.js';
import { InvalidCredentials, type Inspection, type Provider } from './provider.js';
import { commit, CREDENTIALS_MODE, release, reserve, serializeLike, type Reservation } from './write.js';

export interface CheckOptions {
  settings: Settings;
  log: Logger;
  clock: Clock;
  /** Interrupts waiting for the lock; never a request in flight. */
  signal?: AbortSignal | undefined;
  /** How long to wait for another refresher's lock (default: as long as it may hold it). */
  lockWaitMs?: number | undefined;
}

/** Answers larger than this are not token answers. */
export const MAX_ANSWER_BYTES = 256 * 1024;
/** After `refresh_token_reused`, how long a concurrent writer (the CLI) gets to land its new file. */
const REUSED_GRACE_MS = 1_000;
const REUSED_POLL_MS = 100;
const REMEDY = 'run auth-init (agent-entrypoint auth-init) to log the slot in again';

/** How long a refresher may hold the lock: the request's timeout plus time to read and write. */
export function lockHoldMs(settings: Settings): number {
  return settings.refresh.timeoutMs + 30_000;
}

type Oauth = Extract<Inspection, { kind: 'oauth' }>;

function result(outcome: Outcome, state: TokenState, message: string, at: number): CheckResult {
  return { outcome, state, message, at };
}

function stateOf(inspection: Oauth, provider: Provider, settings: Settings, now: number): TokenState & { due: boolean } {
  const due = decideDue({
    expiresAtMs: inspection.expiresAtMs,
    lastRefreshMs: inspection.lastRefreshMs,
    usesMaxAge: provider.usesMaxAge,
    marginMs: settings.refresh.marginMs,
    maxAgeMs: settings.refresh.maxAgeMs,
    now,
  });
  return { expiresAtMs: inspection.expiresAtMs, lastRefreshMs: inspection.lastRefreshMs, dueAtMs: due.dueAtMs, due: due.due };
}

/** A read that failed, as an outcome. */
function readProblem(error: unknown, at: number): CheckResult {
  if (error instanceof InvalidCredentials) return result(permanent('invalid_credentials'), {}, `${error.message}; ${REMEDY}`, at);
  if (error instanceof UnreadableCredentials) {
    return ['EACCES', 'EPERM'].includes(error.errno)
      ? result(permanent('unreadable'), {}, `${error.message}: give the file to the agent (run mode migrates ownership) or ${REMEDY}`, at)
      : result(transient(`io_${error.errno.toLowerCase()}`), {}, error.message, at);
  }
  throw error;
}

/** A write (lock, temp file, rename) that failed, as an outcome. */
function writeProblem(error: unknown, dir: string, at: number, state: TokenState): CheckResult {
  const code = errnoCode(error);
  if (code === undefined) throw error;
  const uid = process.getuid?.() ?? '?';
  const where = (error as NodeJS.ErrnoException).path ?? dir;
  if (['EACCES', 'EPERM', 'EROFS'].includes(code)) {
    return result(permanent('not_writable'), state, `${where}: ${describeErrno(error)} for uid ${uid}; nothing was redeemed; give ${dir} and its files to the agent`, at);
  }
  return result(transient(`io_${code.toLowerCase()}`), state, `${where}: ${describeErrno(error)}; nothing was redeemed`, at);
}

/** Registers every string of an answer as a secret before anything can print it. */
function registerAnswer(body: unknown): void {
  if (body !== null && typeof body === 'object') for (const value of Object.values(body)) if (typeof value === 'string') registerSecret(value);
}

/** Whether the file now holds a different refresh token, waiting up to `graceMs` for a concurrent writer. */
async function changedOnDisk(file: string, provider: Provider, sent: string, clock: Clock, graceMs: number): Promise<boolean> {
  const deadline = clock.now() + graceMs;
  for (;;) {
    const onDisk = refreshTokenOnDisk(file, provider);
    if (onDisk !== undefined && onDisk !== sent) return true;
    if (clock.now() >= deadline) return false;
    await clock.sleep(REUSED_POLL_MS);
  }
}

interface Redeeming {
  options: CheckOptions;
  provider: Provider;
  file: string;
  current: Extract<Read, { kind: 'present' }> & { inspection: Oauth };
  reservation: Reservation;
  state: TokenState;
}

/** An error answer: permanent ones are re-checked against the file (another process may have won). */
async function rejected(job: Redeeming, status: number, text: string): Promise<CheckResult> {
  const { options, provider, file, current, state } = job;
  const outcome = classifyError(status, text);
  const at = options.clock.now();
  if (outcome.kind !== 'permanent') return result(outcome, state, `the token endpoint answered HTTP ${status}; will retry`, at);
  const grace = outcome.reason === 'refresh_token_reused' ? REUSED_GRACE_MS : 0;
  if (await changedOnDisk(file, provider, current.inspection.refreshToken, options.clock, grace)) {
    return result(skip('refreshed_elsewhere'), state, `${provider.label} was refreshed by another process meanwhile`, options.clock.now());
  }
  return result(outcome, state, `the ${provider.agent} refresh token was rejected (HTTP ${status}, ${outcome.reason}): the slot is logged out; ${REMEDY}`, at);
}

/**
 * The file as it is now. One that was damaged meanwhile is replaced by the refreshed version of
 * what we read before sending (our new tokens are the live ones); one that was removed stays removed.
 */
async function latestOrCurrent(job: Redeeming): Promise<Read> {
  try {
    return await readCredentials(job.file, job.provider, job.options.clock);
  } catch (error) {
    if (!(error instanceof InvalidCredentials || error instanceof UnreadableCredentials)) throw error;
    job.options.log.warn(`${job.file} became unreadable during the refresh (${error.message}); writing the refreshed credentials over it`);
    return job.current;
  }
}

/** Writes the answer; one fallback attempt if the prepared temp file fails, and a loud line if both do. */
function save(job: Redeeming, text: string): void {
  try {
    commit(job.reservation, text);
  } catch (error) {
    job.options.log.warn({ errno: errnoCode(error) }, `writing ${job.file} through the prepared temp file failed; trying a fresh one`);
    writeFileAtomicSync(job.file, text, { mode: CREDENTIALS_MODE });
  }
}

/** POSTs the refresh token and folds a valid answer into the file. */
async function redeem(job: Redeeming): Promise<CheckResult> {
  const { options, provider, file, current, state } = job;
  const { settings, clock, log } = options;
  let reply;
  try {
    reply = await postJson(provider.tokenUrl(settings), provider.requestBody(current.inspection.refreshToken), { timeoutMs: settings.refresh.timeoutMs, maxBytes: MAX_ANSWER_BYTES });
  } catch (error) {
    if (error instanceof HttpError) return result(transient(error.code), state, `token endpoint: ${error.message}; will retry`, clock.now());
    throw error;
  }
  if (reply.status < 200 || reply.status > 299) return rejected(job, reply.status, reply.text);
  let body: unknown;
  try {
    body = JSON.parse(reply.text);
  } catch {
    return result(transient('invalid_response'), state, `the token endpoint answered HTTP ${reply.status} with a body that is not JSON; nothing was written`, clock.now());
  }
  registerAnswer(body);
  const update = provider.parseAnswer(body);
  if (!update) {
    return result(transient('invalid_response'), state, `the token endpoint answered HTTP ${reply.status} without the expected token fields; nothing was written`, clock.now());
  }
  // A new login may have landed while we were asking: it wins, and our tokens are dropped. (An
  // unchanged file is not read again: this sits between the answer and the write.)
  const latest = sameIdentity(identityOf(file), current.stat) ? current : await latestOrCurrent(job);
  if (latest.kind !== 'present' || provider.refreshTokenOf(latest.doc) !== current.inspection.refreshToken) {
    log.warn(`${provider.label} changed while its token was being refreshed; the newer file is kept and the tokens just received are dropped`);
    return result(skip('refreshed_elsewhere'), state, `${provider.label} changed during the refresh; kept as it is`, clock.now());
  }
  const now = clock.now();
  const next = provider.apply(latest.doc, update, now);
  try {
    save(job, serializeLike(latest.text, next));
  } catch (error) {
    log.error({ errno: errnoCode(error) }, `the server issued new ${provider.agent} tokens but ${file} could not be written (${describeErrno(error)}); the old refresh token is probably spent: if the next refresh fails, ${REMEDY}`);
    return result(transient(`io_${(errnoCode(error) ?? 'eio').toLowerCase()}`), state, `new tokens could not be saved to ${file}`, now);
  }
  const inspection = provider.inspect(next);
  const after: TokenState = inspection.kind === 'oauth' ? stateOf(inspection, provider, settings, now) : {};
  const { expiresAtMs, dueAtMs } = after;
  return result({ kind: 'refreshed' }, { expiresAtMs, dueAtMs, lastRefreshMs: now }, `${provider.label} refreshed; the access token now expires ${isoOrNull(after.expiresAtMs) ?? 'at an unknown time'}`, now);
}

/** Under the lock: look again, prepare the write, then redeem. */
async function refreshLocked(options: CheckOptions, provider: Provider, file: string, first: Oauth): Promise<CheckResult> {
  const { settings, clock } = options;
  removeStaleTemps(path.dirname(file));
  let current: Read;
  try {
    current = await readCredentials(file, provider, clock);
  } catch (error) {
    return readProblem(error, clock.now());
  }
  const at = clock.now();
  if (current.kind === 'absent') return result(skip('no_auth_json'), {}, `${file} disappeared: nothing to refresh`, at);
  if (current.inspection.kind === 'skip') return result(skip(current.inspection.reason), {}, current.inspection.message, at);
  const { due: _due, ...state } = stateOf(current.inspection, provider, settings, at);
  if (current.inspection.refreshToken !== first.refreshToken) {
    return result(skip('refreshed_elsewhere'), state, `${provider.label} was refreshed by another process`, at);
  }
  provider.prepare();
  let reservation: Reservation;
  try {
    reservation = reserve(file, current.text);
  } catch (error) {
    return writeProblem(error, path.dirname(file), at, state);
  }
  try {
    return await redeem({ options, provider, file, current: { ...current, inspection: current.inspection }, reservation, state });
  } finally {
    release(reservation);
  }
}

async function refreshDue(options: CheckOptions, provider: Provider, file: string, first: Oauth, state: TokenState): Promise<CheckResult> {
  const { settings, clock, log } = options;
  let lock;
  try {
    lock = await acquireLock(lockFileFor(file), {
      holdMs: lockHoldMs(settings),
      waitMs: options.lockWaitMs ?? lockHoldMs(settings),
      clock,
      signal: options.signal,
    });
  } catch (error) {
    if (error instanceof LockBusyError) return result(transient('lock_busy'), state, `${error.message}; will retry`, clock.now());
    if (error instanceof LockInterruptedError) return result(transient('interrupted'), state, 'stopped while waiting for another refresher', clock.now());
    return writeProblem(error, path.dirname(file), clock.now(), state);
  }
  try {
    return await refreshLocked(options, provider, file, first);
  } finally {
    try {
      releaseLock(lock);
    } catch (error) {
      log.warn({ errno: errnoCode(error) }, `cannot remove the lock ${lock.file}; it goes stale on its own`);
    }
  }
}

async function check(options: CheckOptions): Promise<CheckResult> {
  const { settings, clock } = options;
  const at = clock.now();
  if (!settings.refresh.enabled) return result(skip('disabled'), {}, 'AGENT_REFRESH=off: token refresh is disabled', at);
  const provider = providerFor(settings.agent);
  const file = resolvedCredentialsPath(settings);
  let first: Read;
  try {
    first = await readCredentials(file, provider, clock);
  } catch (error) {
    return readProblem(error, at);
  }
  if (first.kind === 'absent') return result(skip('no_auth_json'), {}, `${file} does not exist: nothing to refresh (auth-init logs the slot in)`, at);
  if (first.inspection.kind === 'skip') return result(skip(first.inspection.reason), {}, first.inspection.message, at);
  const { due, ...state } = stateOf(first.inspection, provider, settings, at);
  if (!due) return result(skip('not_due'), state, `not due before ${isoOrNull(state.dueAtMs)}`, at);
  return refreshDue(options, provider, file, first.inspection, state);
}

/** Runs one check. Never throws: an unexpected error is a transient `internal` outcome (and logged with its stack). */
export async function checkOnce(options: CheckOptions): Promise<CheckResult> {
  try {
    return await check(options);
  } catch (error) {
    options.log.error({ err: error }, 'unexpected error during the token check (a bug; please report it)');
    return result(transient('internal'), {}, 'unexpected error during the token check; see the log', options.clock.now());
  }
}
