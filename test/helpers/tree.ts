// Temp directories and byte-for-byte snapshots of a tree, for "left exactly as it was" assertions.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { hygiene } from './hygiene.js';

const made: string[] = [];

/** A fresh temp directory readable and searchable by the agent uid (mode 0755). */
export function tempDir(prefix = 'ae-test-'): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  fs.chmodSync(dir, 0o755);
  made.push(dir);
  return dir;
}

/** Removes every temp directory made so far (call from afterEach/afterAll), after the secret hygiene scan has read it. */
export function removeTempDirs(): void {
  for (const dir of made.splice(0)) {
    hygiene.scanTree(dir);
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

export interface EntrySnapshot {
  type: 'file' | 'dir' | 'symlink' | 'other';
  mode: number;
  uid: number;
  gid: number;
  size: number;
  mtimeMs: number;
  ino: number;
  content?: string;
  target?: string;
}

/** Every entry below `root` (not following symlinks) with its metadata and file content (base64). */
export function snapshot(root: string): Record<string, EntrySnapshot> {
  const out: Record<string, EntrySnapshot> = {};
  if (!fs.existsSync(root)) return out;
  const walk = (dir: string, rel: string) => {
    for (const name of fs.readdirSync(dir).sort()) {
      const full = path.join(dir, name);
      const key = rel ? `${rel}/${name}` : name;
      const stat = fs.lstatSync(full);
      const base = { mode: stat.mode & 0o7777, uid: stat.uid, gid: stat.gid, size: stat.size, mtimeMs: stat.mtimeMs, ino: stat.ino };
      if (stat.isSymbolicLink()) out[key] = { type: 'symlink', ...base, target: fs.readlinkSync(full) };
      else if (stat.isDirectory()) {
        out[key] = { type: 'dir', ...base, size: 0, mtimeMs: 0 };
        walk(full, key);
      } else if (stat.isFile()) out[key] = { type: 'file', ...base, content: fs.readFileSync(full).toString('base64') };
      else out[key] = { type: 'other', ...base };
    }
  };
  walk(root, '');
  return out;
}

/** Writes files under `root` from a map of relative path to content. */
export function writeTree(root: string, files: Record<string, string | Buffer>, mode = 0o644): void {
  for (const [rel, content] of Object.entries(files)) {
    const file = path.join(root, rel);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, content, { mode });
    hygiene.noteInput(file, content);
  }
}
