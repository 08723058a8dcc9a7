// An exclusive lock file next to the credentials, so two refreshers of ours (a sidecar and the
// supervisor, or two pods sharing a volume) never redeem the same single-use refresh token.
// Created atomically with its content (a temp file hard-linked to the lock's name, which fails
// when the name exists); it records who holds it and until when. A lock is stale when its holder's
// own deadline has passed, or when the holder ran on this very host (same hostname, boot and PID
// namespace) and that process is gone. A stale lock is moved aside and checked before removal,
// so two processes breaking it at once cannot remove a lock a third one just took.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { TEMP_PREFIX } from '../fs/atomic.js';
import type { Clock } from './clock.js';

export interface LockRecord {
  pid: number;
  /** hostname/boot id/pid namespace: a pid means something only where all three match. */
  host: string;
  /** The holder's start time in clock ticks since boot (detects a reused pid). */
  start: string | undefined;
  nonce: string;
  acquired_iso: string;
  /** The holder promises to be done by then; after it, the lock is stale wherever it came from. */
  expires_iso: string;
}

export interface HeldLock {
  file: string;
  record: LockRecord;
}

export class LockBusyError extends Error {
  constructor(file: string, holder: LockRecord | undefined) {
    super(`${file} is held by ${holder ? `pid ${holder.pid} until ${holder.expires_iso}` : 'another refresher'}`);
    this.name = 'LockBusyError';
  }
}

export class LockInterruptedError extends Error {
  constructor() {
    super('interrupted while waiting for the refresh lock');
    this.name = 'LockInterruptedError';
  }
}

/** A lock whose content cannot be read (damaged; ours are never empty) is stale after this. */
const UNREADABLE_STALE_MS = 60_000;
const FIRST_PAUSE_MS = 10;
const MAX_PAUSE_MS = 250;

function readOr(file: string, fallback: string): string {
  try {
    return fs.readFileSync(file, 'utf8').trim();
  } catch {
    return fallback;
  }
}

/** A unique-enough tag (names are taken with O_EXCL or link, which catch a clash); no node:crypto, which costs ~4 ms to load. */
function tag(): string {
  return `${process.pid.toString(16)}${Math.floor(Math.random() * 2 ** 48).toString(16).padStart(12, '0')}`;
}

let host: string | undefined;
/** Where a pid is meaningful: containers of one pod share a hostname but not a PID namespace. */
export function hostIdentity(): string {
  if (host === undefined) {
    let pidns = '?';
    try {
      pidns = fs.readlinkSync('/proc/self/ns/pid');
    } catch {
      // no /proc: the hostname and boot id still tell hosts apart
    }
    host = `${os.hostname()}/${readOr('/proc/sys/kernel/random/boot_id', '?')}/${pidns}`;
  }
  return host;
}

/** A live process's start time (field 22 of /proc/PID/stat); undefined when it is gone or a zombie. */
export function processStart(pid: number): string | undefined {
  let stat: string;
  try {
    stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // The command name (field 2) may hold spaces and parentheses: count from the last ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  if (fields[0] === 'Z' || fields[0] === 'X') return undefined;
  return fields[19];
}

function parseRecord(text: string): LockRecord | undefined {
  try {
    const value = JSON.parse(text) as Partial<LockRecord>;
    return typeof value.pid === 'number' && typeof value.nonce === 'string' && typeof value.expires_iso === 'string' && typeof value.host === 'string'
      ? (value as LockRecord)
      : undefined;
  } catch {
    return undefined;
  }
}

/** Whether a lock whose content is `record` (undefined: unreadable) may be broken. */
export function isStale(record: LockRecord | undefined, mtimeMs: number, now: number): boolean {
  if (!record) return now - mtimeMs > UNREADABLE_STALE_MS;
  const expires = Date.parse(record.expires_iso);
  if (!Number.isFinite(expires) || now > expires) return true;
  if (record.host !== hostIdentity()) return false;
  if (record.pid === process.pid) return false;
  const start = processStart(record.pid);
  return start === undefined || (record.start !== undefined && start !== record.start);
}

function newRecord(holdMs: number, now: number): LockRecord {
  return {
    pid: process.pid,
    host: hostIdentity(),
    start: processStart(process.pid),
    nonce: `${tag()}${process.hrtime.bigint().toString(16)}`,
    acquired_iso: new Date(now).toISOString(),
    expires_iso: new Date(now + holdMs).toISOString(),
  };
}

/**
 * Creates the lock file if nobody holds it; false when it exists. The record is written to a
 * private temp file (O_EXCL) first and then hard-linked to the lock's name, which fails when the
 * name exists: the lock never exists without its content, even if we are killed mid-way.
 */
function tryCreate(file: string, record: LockRecord): boolean {
  const temp = path.join(path.dirname(file), `${TEMP_PREFIX}lock.${tag()}`);
  fs.writeFileSync(temp, JSON.stringify(record), { mode: 0o600, flag: 'wx' });
  try {
    fs.linkSync(temp, file);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  } finally {
    fs.rmSync(temp, { force: true });
  }
}

interface Seen {
  text: string;
  record: LockRecord | undefined;
  mtimeMs: number;
}

/** The current lock's content, or undefined when it vanished meanwhile. */
function look(file: string): Seen | undefined {
  try {
    const text = fs.readFileSync(file, 'utf8');
    return { text, record: parseRecord(text), mtimeMs: fs.statSync(file).mtimeMs };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

/** Removes a stale lock, unless it was replaced by a fresh one since we looked. */
function breakStale(file: string, seen: Seen): void {
  const aside = path.join(path.dirname(file), `${TEMP_PREFIX}lock.${tag()}`);
  try {
    fs.renameSync(file, aside);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw error;
  }
  let moved = '';
  try {
    moved = fs.readFileSync(aside, 'utf8');
  } catch {
    // unreadable: treat as not what we saw
  }
  if (moved !== seen.text) {
    // We moved a lock taken after we looked: put it back (unless yet another holder took the name).
    try {
      fs.linkSync(aside, file);
    } catch {
      // EEXIST: the name is held again; that holder's lock stands
    }
  }
  fs.rmSync(aside, { force: true });
}

export interface AcquireOptions {
  /** How long we promise to hold it at most (our deadline, written into the lock). */
  holdMs: number;
  /** How long to wait for a busy lock. */
  waitMs: number;
  clock: Clock;
  /** Aborts the wait (never a held lock). */
  signal?: AbortSignal | undefined;
}

/** Takes the lock, waiting (with growing pauses) while a live holder has it. */
export async function acquireLock(file: string, options: AcquireOptions): Promise<HeldLock> {
  const { clock } = options;
  const deadline = clock.now() + options.waitMs;
  let pause = FIRST_PAUSE_MS;
  let holder: LockRecord | undefined;
  for (;;) {
    if (options.signal?.aborted) throw new LockInterruptedError();
    const record = newRecord(options.holdMs, clock.now());
    if (tryCreate(file, record)) return { file, record };
    const seen = look(file);
    if (!seen) continue;
    holder = seen.record;
    if (isStale(seen.record, seen.mtimeMs, clock.now())) {
      breakStale(file, seen);
      continue;
    }
    const left = deadline - clock.now();
    if (left <= 0) throw new LockBusyError(file, holder);
    if (!(await clock.sleep(Math.min(pause, left), options.signal))) throw new LockInterruptedError();
    pause = Math.min(pause * 2, MAX_PAUSE_MS);
  }
}

/** Releases the lock if it is still ours (a holder past its deadline may have lost it). */
export function releaseLock(lock: HeldLock): boolean {
  const seen = look(lock.file);
  if (!seen || seen.record?.nonce !== lock.record.nonce) return false;
  fs.rmSync(lock.file, { force: true });
  return true;
}
