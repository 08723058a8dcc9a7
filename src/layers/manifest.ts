// The manifest records which files the layers put into the config dir and how they looked right
// after the write. It lets a later apply skip unchanged files without reading them, remove a file
// whose key left the ConfigMap, and never touch a file the agent or the CLI wrote itself.
import fs from 'node:fs';
import path from 'node:path';
import { writeFileAtomicSync, type Owner } from '../fs/atomic.js';
import type { SourceStamp } from './enumerate.js';

export const MANIFEST_FILE = '.agent-entrypoint-manifest.json';
const VERSION = 1;

/** How a file we wrote looked right after the write. */
export interface WrittenStamp {
  size: number;
  mtimeMs: number;
  ctimeMs: number;
  ino: number;
  uid: number;
  mode: number;
}

export interface ManifestRecord extends WrittenStamp {
  sources: SourceStamp[];
}

export interface Manifest {
  version: typeof VERSION;
  files: Record<string, ManifestRecord>;
  /** Directories the layers created (removed again when empty and no longer planned). */
  dirs: string[];
}

export function emptyManifest(): Manifest {
  return { version: VERSION, files: {}, dirs: [] };
}

export type ManifestRead = { manifest: Manifest; problem?: string };

/** Reads the manifest; a missing one is empty, a corrupt one is reported and treated as empty. */
export function readManifest(configDir: string): ManifestRead {
  const file = path.join(configDir, MANIFEST_FILE);
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    return { manifest: emptyManifest() };
  }
  try {
    const value = JSON.parse(text) as Partial<Manifest>;
    if (value.version !== VERSION || typeof value.files !== 'object' || value.files === null || !Array.isArray(value.dirs)) {
      return { manifest: emptyManifest(), problem: `${file} has an unknown format; it will be rebuilt` };
    }
    return keepPlainEntries(value as Manifest, file);
  } catch {
    return { manifest: emptyManifest(), problem: `${file} is not valid JSON; it will be rebuilt` };
  }
}

/**
 * A path the layers could have written: relative, '/'-separated, without '.', '..' or empty
 * segments. The manifest lives in a directory the agent can write, so a root boot must not take a
 * forged entry such as `../../etc/passwd` as one of its own files.
 */
export function isPlainRelativePath(rel: unknown): rel is string {
  return (
    typeof rel === 'string' &&
    rel !== '' &&
    !rel.includes('\0') &&
    rel.split('/').every((segment) => segment !== '' && segment !== '.' && segment !== '..')
  );
}

/** Drops (and reports) entries that are not plain relative paths. */
function keepPlainEntries(manifest: Manifest, file: string): ManifestRead {
  const files = Object.entries(manifest.files).filter(([rel, record]) => isPlainRelativePath(rel) && typeof record === 'object' && record !== null);
  const dirs = manifest.dirs.filter(isPlainRelativePath);
  const dropped = Object.keys(manifest.files).length - files.length + manifest.dirs.length - dirs.length;
  const kept: Manifest = { version: VERSION, files: Object.fromEntries(files), dirs };
  return dropped === 0 ? { manifest: kept } : { manifest: kept, problem: `${file} held ${dropped} entries that are not plain relative paths; they were ignored` };
}

export function writeManifest(configDir: string, manifest: Manifest, owner: Owner | undefined): void {
  writeFileAtomicSync(path.join(configDir, MANIFEST_FILE), `${JSON.stringify(manifest)}\n`, { mode: 0o600, owner });
}

export function writtenStampOf(stat: fs.Stats): WrittenStamp {
  return { size: stat.size, mtimeMs: stat.mtimeMs, ctimeMs: stat.ctimeMs, ino: stat.ino, uid: stat.uid, mode: stat.mode & 0o7777 };
}

/** True when a file on disk is still exactly the one we wrote. */
export function isStillOurs(record: WrittenStamp, stat: fs.Stats): boolean {
  return (
    stat.isFile() &&
    stat.ino === record.ino &&
    stat.size === record.size &&
    stat.mtimeMs === record.mtimeMs &&
    stat.ctimeMs === record.ctimeMs
  );
}

export function sameSources(a: readonly SourceStamp[], b: readonly SourceStamp[]): boolean {
  return (
    a.length === b.length &&
    a.every((stamp, i) => {
      const other = b[i]!;
      return (
        stamp.path === other.path &&
        stamp.size === other.size &&
        stamp.mtimeMs === other.mtimeMs &&
        stamp.ctimeMs === other.ctimeMs &&
        stamp.ino === other.ino &&
        stamp.dev === other.dev
      );
    })
  );
}
