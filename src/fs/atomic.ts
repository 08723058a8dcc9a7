// Atomic file replacement: temp file in the destination's directory, fsync, rename, fsync the
// directory. A reader sees the old file or the new one, never a partial write, and a crash
// between the steps leaves at most a stray temp file (swept by `removeStaleTemps`).
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

/** A temp file written and closed-to-be, not yet renamed into place. */
export interface StagedFile {
  fd: number;
  temp: string;
  dest: string;
}

const { O_WRONLY, O_CREAT, O_EXCL, O_NOFOLLOW, O_RDONLY, O_DIRECTORY } = fs.constants;

/**
 * A temp name next to `dest`. Uniqueness comes from O_EXCL (a taken name is retried), not from
 * the name, so it needs no cryptographic randomness: loading node:crypto costs about 4 ms of
 * start-up, which `refresh --once` cannot afford.
 */
function tempPathFor(dest: string): string {
  const suffix = Math.floor(Math.random() * 2 ** 48).toString(16).padStart(12, '0');
  return path.join(path.dirname(dest), `${TEMP_PREFIX}${process.pid}.${suffix}`);
}

/** Opens a fresh temp file next to `dest` (never following a planted symlink). */
function openTemp(dest: string, mode: number): { fd: number; temp: string } {
  for (let attempt = 1; ; attempt++) {
    const temp = tempPathFor(dest);
    try {
      return { fd: fs.openSync(temp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, mode & 0o7777), temp };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST' || attempt >= 5) throw error;
    }
  }
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

function discard(staged: { fd: number; temp: string }): void {
  try {
    fs.closeSync(staged.fd);
  } catch {
    // already closed
  }
  fs.rmSync(staged.temp, { force: true });
}

/** Writes `data` to a temp file next to `dest` with the final attributes; not yet durable or visible. */
export function stageFile(dest: string, data: Uint8Array | string, options: WriteOptions): StagedFile {
  const staged = openTemp(dest, options.mode);
  try {
    const buffer = typeof data === 'string' ? Buffer.from(data) : data;
    let offset = 0;
    while (offset < buffer.length) offset += fs.writeSync(staged.fd, buffer, offset, buffer.length - offset);
    finishAttributes(staged.fd, options);
    return { ...staged, dest };
  } catch (error) {
    discard(staged);
    throw error;
  }
}

/** Flushes and renames staged files into place, then syncs their directories. */
export async function commitStaged(files: readonly StagedFile[], concurrency = 16): Promise<void> {
  try {
    // Flush all temp files concurrently: the disk sees one batch instead of one commit per file.
    let next = 0;
    const worker = async () => {
      while (next < files.length) {
        const file = files[next++]!;
        await new Promise<void>((resolve, reject) => fs.fdatasync(file.fd, (error) => (error ? reject(error) : resolve())));
      }
    };
    await Promise.all(Array.from({ length: Math.min(concurrency, files.length) }, worker));
  } catch (error) {
    for (const file of files) discard(file);
    throw error;
  }
  for (const file of files) fs.closeSync(file.fd);
  for (const file of files) fs.renameSync(file.temp, file.dest);
  syncDirectories(files.map((file) => path.dirname(file.dest)));
}

/** Discards staged files that will not be committed. */
export function abandonStaged(files: readonly StagedFile[]): void {
  for (const file of files) discard(file);
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
  const staged = stageFile(dest, data, options);
  let ino: number;
  try {
    fs.fsyncSync(staged.fd);
    ino = fs.fstatSync(staged.fd).ino;
    fs.closeSync(staged.fd);
  } catch (error) {
    discard(staged);
    throw error;
  }
  try {
    fs.renameSync(staged.temp, dest);
  } catch (error) {
    fs.rmSync(staged.temp, { force: true });
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
