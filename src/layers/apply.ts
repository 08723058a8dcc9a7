// Applies a plan to the config dir: only changed files are written (atomically, agent-owned,
// source mode plus owner write, source mtime), files the layers no longer provide are removed when
// they are still exactly what we wrote, and every planned file is verified in place afterwards.
// Files no layer provides (auth.json, sessions, history) are never touched.
import fs from 'node:fs';
import path from 'node:path';
import { BootError, ConfigError, describeErrno, errnoCode } from '../errors.js';
import { abandonStaged, commitStaged, removeStaleTemps, stageCopy, stageFile, syncDirectories, type Owner, type StagedFile } from '../fs/atomic.js';
import { LayerChangedError, type SourceStamp } from './enumerate.js';
import {
  isStillOurs,
  readManifest,
  sameSources,
  writeManifest,
  writtenStampOf,
  type Manifest,
  type ManifestRecord,
} from './manifest.js';
import type { Plan, PlannedFile } from './plan.js';

export { LayerChangedError };

export interface ApplyOptions {
  configDir: string;
  /** Owner of everything written; undefined when not running as root (files are then ours). */
  owner: Owner | undefined;
  /** The time temp files' ages are measured against (ms since the epoch; tests move it ahead). */
  now?: number | undefined;
  /** PATH for the flush helper (coreutils' sync); see commitStaged. */
  searchPath?: string | undefined;
}

export interface ApplyResult {
  written: string[];
  unchanged: number;
  removed: string[];
  /** Files we wrote earlier that someone else changed since; left alone. */
  kept: string[];
  bytesWritten: number;
  manifestProblem?: string | undefined;
}

function lstatOrUndefined(file: string): fs.Stats | undefined {
  try {
    return fs.lstatSync(file);
  } catch (error) {
    if (errnoCode(error) === 'ENOENT') return undefined;
    throw new BootError(`cannot inspect ${file}: ${describeErrno(error)}`, { cause: error });
  }
}

/** True when `configDir/rel` and every directory on the way to it are real directories, no symlink. */
function isRealDirInside(configDir: string, rel: string): boolean {
  let dir = configDir;
  for (const segment of rel.split('/')) {
    dir = path.join(dir, segment);
    if (!fs.lstatSync(dir, { throwIfNoEntry: false })?.isDirectory()) return false;
  }
  return true;
}

/**
 * `configDir/rel` when every directory on the way is a real directory (not a symlink the agent
 * could plant to point a root process elsewhere); undefined otherwise.
 */
function insideConfigDir(configDir: string, rel: string): string | undefined {
  const parent = path.posix.dirname(rel);
  return parent === '.' || isRealDirInside(configDir, parent) ? path.join(configDir, rel) : undefined;
}

/**
 * Refuses, before anything is written, destinations that would need a directory replaced or a
 * symlink followed. Returns what each planned file's destination is now, and the planned
 * directories that do not exist yet.
 */
function preflight(plan: Plan, configDir: string): { current: Map<string, fs.Stats | undefined>; missingDirs: string[] } {
  const current = new Map<string, fs.Stats | undefined>();
  const missingDirs: string[] = [];
  for (const dir of plan.dirs) {
    const dest = path.join(configDir, dir.rel);
    const stat = lstatOrUndefined(dest);
    if (!stat) missingDirs.push(dir.rel);
    if (stat && !stat.isDirectory()) {
      const what = stat.isSymbolicLink() ? 'a symlink' : 'not a directory';
      throw new ConfigError(`${dest} is ${what}, but a config layer provides a directory there; move it aside`);
    }
  }
  for (const file of plan.files) {
    const dest = path.join(configDir, file.rel);
    const stat = lstatOrUndefined(dest);
    if (stat?.isDirectory()) {
      throw new ConfigError(`${dest} is a directory, but a config layer provides a file there; move it aside`);
    }
    current.set(file.rel, stat);
  }
  return { current, missingDirs };
}

/** Reads a file's bytes from its layer, making sure it is still the file that was planned. */
function loadContent(file: PlannedFile): Buffer {
  if (file.content) return file.content;
  const source = file.sources[0]!;
  let fd: number;
  try {
    fd = fs.openSync(source.real, 'r');
  } catch (error) {
    if (errnoCode(error) === 'ENOENT') throw new LayerChangedError(source.shown);
    throw new ConfigError(`cannot read ${source.shown}: ${describeErrno(error)}`);
  }
  try {
    const stat = fs.fstatSync(fd);
    if (stat.ino !== source.stamp.ino || stat.size !== source.stamp.size || stat.mtimeMs !== source.stamp.mtimeMs) {
      throw new LayerChangedError(source.shown);
    }
    const buffer = Buffer.allocUnsafe(stat.size);
    let offset = 0;
    while (offset < buffer.length) {
      const read = fs.readSync(fd, buffer, offset, buffer.length - offset, offset);
      if (read === 0) throw new LayerChangedError(source.shown);
      offset += read;
    }
    return buffer;
  } finally {
    fs.closeSync(fd);
  }
}

/** Stages one changed file: parsed content from memory, any other file copied in the kernel. */
function stagePlanned(file: PlannedFile, dest: string, owner: Owner | undefined): StagedFile {
  const options = { mode: file.mode, owner, mtimeMs: file.mtimeMs };
  if (file.content) return stageFile(dest, file.content, options);
  const source = file.sources[0]!;
  let copied: StagedFile & { size: number };
  try {
    copied = stageCopy(dest, source.real, options);
  } catch (error) {
    if (errnoCode(error) === 'ENOENT' && !fs.existsSync(source.real)) throw new LayerChangedError(source.shown);
    throw error;
  }
  const now = fs.statSync(source.real, { throwIfNoEntry: false });
  if (copied.size !== source.stamp.size || !now || now.ino !== source.stamp.ino || now.mtimeMs !== source.stamp.mtimeMs) {
    abandonStaged([copied]);
    throw new LayerChangedError(source.shown);
  }
  return copied;
}

function plannedSize(file: PlannedFile): number {
  return file.content?.length ?? file.sources[0]!.stamp.size;
}

function stampsOf(file: PlannedFile): SourceStamp[] {
  return file.sources.map((source) => source.stamp);
}

function attributesMatch(file: PlannedFile, stat: fs.Stats, owner: Owner | undefined): boolean {
  return (stat.mode & 0o7777) === file.mode && (owner === undefined || (stat.uid === owner.uid && stat.gid === owner.gid));
}

/**
 * Whether the destination already holds the planned file: 'recorded' when it is untouched since we
 * wrote it from the same sources (no bytes read), 'same' when its bytes and attributes match.
 */
function compareDest(
  file: PlannedFile,
  dest: string,
  stat: fs.Stats | undefined,
  record: ManifestRecord | undefined,
  owner: Owner | undefined,
): 'recorded' | 'same' | 'changed' {
  if (!stat?.isFile() || stat.size !== plannedSize(file) || !attributesMatch(file, stat, owner)) return 'changed';
  if (record && isStillOurs(record, stat) && sameSources(record.sources, stampsOf(file))) return 'recorded';
  let existing: Buffer;
  try {
    existing = fs.readFileSync(dest);
  } catch {
    return 'changed';
  }
  return existing.equals(loadContent(file)) ? 'same' : 'changed';
}

function ensureDir(dest: string, mode: number, owner: Owner | undefined): boolean {
  let created = false;
  try {
    fs.mkdirSync(dest, { mode });
    created = true;
  } catch (error) {
    if (errnoCode(error) !== 'EEXIST') throw error;
  }
  const stat = fs.lstatSync(dest);
  if (!stat.isDirectory()) throw new ConfigError(`${dest} is not a directory, but a config layer provides a directory there; move it aside`);
  if (owner && (stat.uid !== owner.uid || stat.gid !== owner.gid)) fs.lchownSync(dest, owner.uid, owner.gid);
  if (created) fs.chmodSync(dest, mode);
  return created;
}

/** Applies the plan. Throws ConfigError/BootError before writing when the destination is unusable. */
export async function applyPlan(plan: Plan, options: ApplyOptions): Promise<ApplyResult> {
  const { configDir, owner } = options;
  const { current, missingDirs } = preflight(plan, configDir);
  const read = readManifest(configDir);
  let previous = read.manifest;
  const problem = read.problem;
  const next: Manifest = { version: 1, files: {}, dirs: [] };
  const result: ApplyResult = { written: [], unchanged: 0, removed: [], kept: [], bytesWritten: 0, manifestProblem: problem };

  try {
    // Directories about to be created are recorded first: a run killed after creating them must
    // still count them as ours, or they would stay behind once the layers no longer provide them.
    const intended = missingDirs.filter((rel) => !previous.dirs.includes(rel));
    if (intended.length > 0) {
      previous = { ...previous, dirs: [...previous.dirs, ...intended] };
      writeManifest(configDir, previous, owner);
    }
    for (const dir of plan.dirs) {
      const dest = path.join(configDir, dir.rel);
      const created = ensureDir(dest, dir.mode, owner);
      if (created || previous.dirs.includes(dir.rel)) next.dirs.push(dir.rel);
    }
    // Our old temp files go wherever they were left: in planned directories, and in those the
    // layers created and no longer provide (else a killed run's leftovers would keep them forever).
    const swept = new Set([configDir]);
    for (const rel of [...plan.dirs.map((dir) => dir.rel), ...previous.dirs]) {
      if (isRealDirInside(configDir, rel)) swept.add(path.join(configDir, rel));
    }
    for (const dir of swept) removeStaleTemps(dir, options.now);

    // Decide what changed and stage it (temp files next to their destinations), then commit all
    // at once: flushed together, renamed into place, directories synced.
    const written = new Map<string, PlannedFile>();
    const staged: StagedFile[] = [];
    try {
      for (const file of plan.files) {
        const dest = path.join(configDir, file.rel);
        const record = previous.files[file.rel];
        const stat = current.get(file.rel);
        const state = compareDest(file, dest, stat, record, owner);
        if (state !== 'changed') {
          result.unchanged++;
          next.files[file.rel] = state === 'recorded' ? record! : { ...writtenStampOf(stat!), sources: stampsOf(file) };
          continue;
        }
        staged.push(stagePlanned(file, dest, owner));
        written.set(file.rel, file);
        result.bytesWritten += plannedSize(file);
      }
      await commitStaged(staged, { searchPath: options.searchPath });
    } catch (error) {
      abandonStaged(staged);
      throw error;
    }

    // Verify: every planned file is in place, a regular file of the planned size; one held in
    // memory (a merged or parsed config file, small) and written now must hold exactly its bytes.
    for (const file of plan.files) {
      const dest = path.join(configDir, file.rel);
      const stat = lstatOrUndefined(dest);
      if (!stat?.isFile() || stat.size !== plannedSize(file)) {
        throw new BootError(
          `verification failed: ${dest} should hold ${plannedSize(file)} bytes from ${file.sources.map((s) => s.shown).join(' + ')} but ${stat ? `holds ${stat.size}` : 'is missing'}`,
        );
      }
      if (file.content !== undefined && written.has(file.rel) && !fs.readFileSync(dest).equals(file.content)) {
        throw new BootError(`verification failed: ${dest} does not hold the bytes merged from ${file.sources.map((s) => s.shown).join(' + ')}; something rewrote it during the apply`);
      }
      if (written.has(file.rel)) {
        next.files[file.rel] = { ...writtenStampOf(stat), sources: stampsOf(file) };
        result.written.push(file.rel);
      }
    }

    // Remove what the layers no longer provide, when it is still exactly what we wrote: the same
    // file (inode, size, times), owned by whoever we write as, reached without a symlink.
    const planned = new Set(plan.files.map((file) => file.rel));
    const touchedDirs = new Set<string>();
    const writer = owner?.uid ?? process.getuid?.();
    for (const [rel, record] of Object.entries(previous.files)) {
      if (planned.has(rel)) continue;
      const dest = insideConfigDir(configDir, rel);
      const stat = dest === undefined ? undefined : lstatOrUndefined(dest);
      if (dest === undefined || !stat) continue;
      if (isStillOurs(record, stat) && stat.uid === writer) {
        fs.rmSync(dest);
        touchedDirs.add(path.dirname(dest));
        result.removed.push(rel);
      } else {
        result.kept.push(rel);
      }
    }
    const plannedDirs = new Set(plan.dirs.map((dir) => dir.rel));
    for (const rel of [...previous.dirs].sort().reverse()) {
      if (plannedDirs.has(rel)) continue;
      const dest = insideConfigDir(configDir, rel);
      if (dest === undefined) continue; // reached through a symlink: not ours to remove, forgotten
      try {
        fs.rmdirSync(dest);
      } catch (error) {
        // Not empty (someone else's files are in it): keep tracking it. Already gone: forget it.
        if (errnoCode(error) !== 'ENOENT') next.dirs.push(rel);
        continue;
      }
      // A removed directory cannot be synced (its parent records the removal): deepest first, so
      // its own removed children were already handed to it.
      touchedDirs.delete(dest);
      touchedDirs.add(path.dirname(dest));
    }
    if (touchedDirs.size > 0) syncDirectories(touchedDirs);
  } catch (error) {
    if (error instanceof ConfigError || error instanceof BootError || error instanceof LayerChangedError) throw error;
    throw new BootError(`cannot apply the config layers to ${configDir}: ${describeErrno(error)}`, { cause: error });
  }

  if (JSON.stringify(next) !== JSON.stringify(previous)) writeManifest(configDir, next, owner);
  return result;
}
