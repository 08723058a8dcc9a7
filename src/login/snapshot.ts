// A before/after picture of the config dir, to prove the login wrote credentials: regular files
// only, never following symlinks, each with size, mtime and inode (a rewrite by rename changes the
// inode even when size and mtime happen to match).
import fs from 'node:fs';
import path from 'node:path';

export interface FileStamp {
  size: number;
  mtimeMs: number;
  ino: number;
}

export type Snapshot = Map<string, FileStamp>;

/** Every regular file below `root` by "/"-separated relative path; unreadable directories are skipped. */
export function snapshotTree(root: string): Snapshot {
  const out: Snapshot = new Map();
  const walk = (dir: string, rel: string) => {
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(dir, { withFileTypes: true });
    } catch {
      return; // absent or unreadable: nothing the login could have written there as the agent either
    }
    for (const entry of entries) {
      const childRel = rel ? `${rel}/${entry.name}` : entry.name;
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(full, childRel);
      else if (entry.isFile()) {
        const stat = fs.lstatSync(full, { throwIfNoEntry: false });
        if (stat?.isFile()) out.set(childRel, { size: stat.size, mtimeMs: stat.mtimeMs, ino: stat.ino });
      }
    }
  };
  walk(root, '');
  return out;
}

/** Files that are new in `after`, or whose size, mtime or inode changed, sorted. */
export function changedFiles(before: Snapshot, after: Snapshot): string[] {
  const changed: string[] = [];
  for (const [rel, stamp] of after) {
    const old = before.get(rel);
    if (!old || old.size !== stamp.size || old.mtimeMs !== stamp.mtimeMs || old.ino !== stamp.ino) changed.push(rel);
  }
  return changed.sort();
}
