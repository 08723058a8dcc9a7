// Atomic file replacement: temp file in the destination's directory, fsync, rename, fsync the
// directory. A reader sees the old file or the new one, never a partial write, and a crash
// between the steps leaves at most a stray temp file (swept by `removeStaleTemps`).
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

/** Temp files of ours carry this prefix, so a later run can recognise and remove strays. */
export const TEMP_PREFIX = '.agent-entrypoint.tmp.';

export interface Owner {
  uid: number;
  gid: number;
}

export interface WriteOptions {
  /** Permission bits of the new file. */
  mode: number;
  /** chown the file to this owner (requires root, or the same owner). */
  owner?: Owner | undefined;
  /** Modification time to set, in ms since the epoch. */
  mtimeMs?: number | undefined;
}

/** A temp file with its final content and attributes, closed, not yet flushed or renamed into place. */
export interface StagedFile {
  temp: string;
  dest: string;
}

const { O_WRONLY, O_CREAT, O_EXCL, O_NOFOLLOW, O_RDONLY, O_DIRECTORY } = fs.constants;

let tempCounter = 0;

/**
 * A fresh temp name next to `dest`. Uniqueness comes from pid + counter + a random part; O_EXCL
 * (or COPYFILE_EXCL) guarantees an existing file is never reused. node:crypto is not used: it costs
 * milliseconds of start-up and the name need not be unpredictable (the directory is the agent's).
 */
function tempPathFor(dest: string): string {
  const unique = `${process.pid}.${(tempCounter++).toString(36)}.${Math.random().toString(36).slice(2, 10)}`;
  return path.join(path.dirname(dest), `${TEMP_PREFIX}${unique}`);
}

/** Sets mode (umask-proof), owner and mtime on an open temp file. */
function finishAttributes(fd: number, options: WriteOptions): void {
  fs.fchmodSync(fd, options.mode & 0o7777);
  if (options.owner) fs.fchownSync(fd, options.owner.uid, options.owner.gid);
  if (options.mtimeMs !== undefined) {
    const seconds = options.mtimeMs / 1000;
    fs.futimesSync(fd, seconds, seconds);
  }
}

/** A temp file next to `dest`, still open: filled now, finished later by its owner. */
export interface OpenTempFile {
  fd: number;
  temp: string;
  dest: string;
}

/**
 * Creates a fresh temp file next to `dest` (O_EXCL, never following a planted symlink), writes
 * `data` and the attributes, and returns it open. The caller closes it (or discards it).
 */
export function openTempFile(dest: string, data: Uint8Array | string, options: WriteOptions): OpenTempFile {
  const temp = tempPathFor(dest);
  const fd = fs.openSync(temp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, options.mode & 0o7777);
  try {
    const buffer = typeof data === 'string' ? Buffer.from(data) : data;
    let offset = 0;
    while (offset < buffer.length) offset += fs.writeSync(fd, buffer, offset, buffer.length - offset);
    finishAttributes(fd, options);
    return { fd, temp, dest };
  } catch (error) {
    discardOpenTemp({ fd, temp, dest });
    throw error;
  }
}

/** Closes and removes a temp file that will not be committed. */
export function discardOpenTemp(file: OpenTempFile): void {
  try {
    fs.closeSync(file.fd);
  } catch {
    // already closed
  }
  fs.rmSync(file.temp, { force: true });
}

/** Writes `data` to a fresh temp file next to `dest`, optionally durable, and closes it. */
function writeTemp(dest: string, data: Uint8Array | string, options: WriteOptions, durable: boolean): { temp: string; ino: number } {
  const file = openTempFile(dest, data, options);
  try {
    if (durable) fs.fsyncSync(file.fd);
    const ino = fs.fstatSync(file.fd).ino;
    fs.closeSync(file.fd);
    return { temp: file.temp, ino };
  } catch (error) {
    discardOpenTemp(file);
    throw error;
  }
}

/** Writes `data` to a temp file next to `dest`; it becomes durable and visible in commitStaged. */
export function stageFile(dest: string, data: Uint8Array | string, options: WriteOptions): StagedFile {
  return { temp: writeTemp(dest, data, options, false).temp, dest };
}

/**
 * Copies `source` into a fresh temp file next to `dest` in the kernel (copy_file_range, as cp
 * does), then sets the attributes. Returns the staged file and the size copied.
 */
export function stageCopy(dest: string, source: string, options: WriteOptions): StagedFile & { size: number } {
  const temp = tempPathFor(dest);
  fs.copyFileSync(source, temp, fs.constants.COPYFILE_EXCL);
  try {
    const fd = fs.openSync(temp, O_RDONLY | O_NOFOLLOW);
    try {
      finishAttributes(fd, options);
      return { temp, dest, size: fs.fstatSync(fd).size };
    } finally {
      fs.closeSync(fd);
    }
  } catch (error) {
    fs.rmSync(temp, { force: true });
    throw error;
  }
}

/** fdatasync of one closed file, reopened read-only (the flush applies to the inode). */
function flushFile(file: string): Promise<void> {
  return new Promise((resolve, reject) => {
    fs.open(file, O_RDONLY | O_NOFOLLOW, (openError, fd) => {
      if (openError) return reject(openError);
      fs.fdatasync(fd, (syncError) => fs.close(fd, () => (syncError ? reject(syncError) : resolve())));
    });
  });
}

/** From this many files on, one syncfs(2) per filesystem flushes them instead of one fdatasync each. */
const SYNCFS_FROM = 64;

/**
 * syncfs(2) through coreutils' `sync -f` (Node has no binding for it): one call flushes every
 * dirty file of the filesystem holding `dir`. Resolves false when it could not run or failed, so
 * the caller falls back to flushing file by file.
 */
function syncFilesystem(dir: string, searchPath: string): Promise<boolean> {
  return new Promise((resolve) => {
    // Only PATH: the process environment may hold credentials, and sync needs none of it.
    const child = spawn('sync', ['-f', dir], { stdio: 'ignore', env: { PATH: searchPath } });
    child.once('error', () => resolve(false));
    child.once('exit', (code) => resolve(code === 0));
  });
}

export interface CommitOptions {
  /** How many files are flushed at once when they are flushed one by one. */
  concurrency?: number | undefined;
  /** PATH to find coreutils' sync in; without it, files are always flushed one by one. */
  searchPath?: string | undefined;
}

/** Flushes staged files: by filesystem when there are many, else each file, concurrently. */
async function flushStaged(files: readonly StagedFile[], { concurrency = 8, searchPath }: CommitOptions): Promise<void> {
  if (files.length >= SYNCFS_FROM && searchPath !== undefined) {
    const byDevice = new Map<number, string>();
    for (const dir of new Set(files.map((file) => path.dirname(file.temp)))) byDevice.set(fs.statSync(dir).dev, dir);
    const synced = await Promise.all([...byDevice.values()].map((dir) => syncFilesystem(dir, searchPath)));
    if (synced.every(Boolean)) return;
  }
  let next = 0;
  const worker = async () => {
    while (next < files.length) await flushFile(files[next++]!.temp);
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, files.length) }, worker));
}

/**
 * Makes staged files durable and visible: all are flushed first (one batch for the disk instead
 * of a journal commit per file, and no create waits behind a commit), then renamed into place,
 * then their directories are synced.
 */
export async function commitStaged(files: readonly StagedFile[], options: CommitOptions = {}): Promise<void> {
  try {
    await flushStaged(files, options);
  } catch (error) {
    abandonStaged(files);
    throw error;
  }
  for (const file of files) fs.renameSync(file.temp, file.dest);
  syncDirectories(files.map((file) => path.dirname(file.dest)));
}

/** Removes staged files that will not be committed. */
export function abandonStaged(files: readonly StagedFile[]): void {
  for (const file of files) fs.rmSync(file.temp, { force: true });
}

/** fsyncs each distinct directory, so renames and unlinks in it are durable. */
export function syncDirectories(dirs: Iterable<string>): void {
  for (const dir of new Set(dirs)) {
    const fd = fs.openSync(dir, O_RDONLY | O_DIRECTORY);
    try {
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
  }
}

/** Replaces `dest` atomically and durably with `data`. Returns the new file's inode. */
export function writeFileAtomicSync(dest: string, data: Uint8Array | string, options: WriteOptions): number {
  const { temp, ino } = writeTemp(dest, data, options, true);
  try {
    fs.renameSync(temp, dest);
  } catch (error) {
    fs.rmSync(temp, { force: true });
    throw error;
  }
  syncDirectories([path.dirname(dest)]);
  return ino;
}

/** A temp file younger than this may belong to a write in progress (another process of ours). */
const STALE_TEMP_AGE_MS = 5 * 60_000;

/**
 * Removes temp files that a killed run of ours left in `dir`, never anything else and never a
 * recent one (a sidecar may be writing it right now). Returns how many were removed.
 */
export function removeStaleTemps(dir: string, now = Date.now()): number {
  let removed = 0;
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch {
    return 0;
  }
  for (const name of names) {
    if (!name.startsWith(TEMP_PREFIX)) continue;
    const temp = path.join(dir, name);
    try {
      const stat = fs.lstatSync(temp);
      if (!stat.isFile() || now - stat.ctimeMs < STALE_TEMP_AGE_MS) continue;
      fs.rmSync(temp, { force: true });
      removed++;
    } catch {
      // gone already
    }
  }
  return removed;
}
