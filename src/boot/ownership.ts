// Ownership repair: `lchown` every entry not owned by the agent, never following symlinks and never
// crossing into another filesystem, children before their directory and the root last. An
// interrupted migration leaves the root mismatched, so the next boot resumes it; a migrated home
// costs a single lstat.
import fs from 'node:fs';
import path from 'node:path';
import type { Owner } from '../fs/atomic.js';
import { mountPointsUnder } from '../fs/mounts.js';

export interface ChownResult {
  /** False when the root already belonged to the agent and nothing was walked. */
  walked: boolean;
  scanned: number;
  changed: number;
  /** Entries on other filesystems that were left alone (mount points). */
  skippedMounts: number;
}

/** Walks `dir` (already known to be on device `dev`) and fixes every entry below it. */
function fixTree(dir: string, dev: number, owner: Owner, result: ChownResult, mounts: Set<string>): void {
  const entries = fs.readdirSync(dir, { withFileTypes: true });
  for (const entry of entries) {
    const full = path.join(dir, entry.name);
    const stat = fs.lstatSync(full, { throwIfNoEntry: false });
    if (!stat) continue; // removed while we walked
    result.scanned++;
    if (stat.dev !== dev || (stat.isDirectory() && mounts.has(full))) {
      result.skippedMounts++;
      continue;
    }
    if (stat.isDirectory()) fixTree(full, dev, owner, result, mounts);
    if (stat.uid !== owner.uid) {
      fs.lchownSync(full, owner.uid, owner.gid);
      result.changed++;
    }
  }
}

/**
 * Gives `root` and everything below it to `owner`. With `onlyIfRootMismatched` (the home
 * migration), a root already owned by the agent means the tree is done and is not walked.
 */
export function chownTree(root: string, owner: Owner, options: { onlyIfRootMismatched: boolean }): ChownResult {
  const result: ChownResult = { walked: false, scanned: 0, changed: 0, skippedMounts: 0 };
  const rootStat = fs.lstatSync(root);
  if (options.onlyIfRootMismatched && rootStat.uid === owner.uid) return result;
  result.walked = true;
  result.scanned = 1;
  if (rootStat.isDirectory()) fixTree(root, rootStat.dev, owner, result, mountPointsUnder(root));
  if (rootStat.uid !== owner.uid || rootStat.gid !== owner.gid) {
    fs.lchownSync(root, owner.uid, owner.gid);
    result.changed++;
  }
  return result;
}
