// The artifact scan (Claude Code, when .credentials.json is absent): walks the config dir without
// following symlinks for any regular file that can count as a credential artifact. Kept from the
// source design because CLI versions have moved the credentials file; narrowed so that files the
// CLI and this program write without credentials do not count (see isArtifactCandidate).
import fs from 'node:fs';
import path from 'node:path';
import { errnoCode } from '../errors.js';
import { TEMP_PREFIX } from '../fs/atomic.js';
import { MANIFEST_FILE, readManifest } from '../layers/manifest.js';
import { isArtifactCandidate } from './claude.js';
import { CREDENTIALS_FILE, REFRESH_STATUS_FILE, lockFileFor } from './files.js';

export type ScanResult =
  | { kind: 'found'; rel: string }
  | { kind: 'none' }
  | { kind: 'error'; path: string; errno: string | undefined; operation: string };

/** This program's own files in a claude config dir: bookkeeping, and every file the layers wrote. */
export function ownFiles(configDir: string): Set<string> {
  const credentials = CREDENTIALS_FILE.claude;
  return new Set([MANIFEST_FILE, REFRESH_STATUS_FILE, lockFileFor(credentials), ...Object.keys(readManifest(configDir).manifest.files)]);
}

/** Every regular file below `configDir` that counts as an artifact, sorted (empty when the dir is absent). */
export function listArtifacts(configDir: string, own: ReadonlySet<string> = ownFiles(configDir), limit = Number.POSITIVE_INFINITY): string[] | ScanResult {
  const found: string[] = [];
  const walk = (dir: string, rel: string): ScanResult | undefined => {
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(dir, { withFileTypes: true });
    } catch (error) {
      if (errnoCode(error) === 'ENOENT' && rel === '') return undefined;
      return { kind: 'error', path: dir, errno: errnoCode(error), operation: `readdir(${dir})` };
    }
    for (const entry of entries.sort((a, b) => (a.name < b.name ? -1 : 1))) {
      if (found.length >= limit) return undefined;
      const childRel = rel ? `${rel}/${entry.name}` : entry.name;
      if (entry.name.startsWith(TEMP_PREFIX) || !isArtifactCandidate(childRel, own)) continue;
      // readdir reports the entry itself (never a symlink's target), so links are skipped as the source design did.
      if (entry.isDirectory()) {
        const problem = walk(path.join(dir, entry.name), childRel);
        if (problem) return problem;
      } else if (entry.isFile()) {
        found.push(childRel);
      }
    }
    return undefined;
  };
  return walk(configDir, '') ?? found;
}

/** The first artifact found (stops at the first), none, or the walk error. */
export function scanArtifacts(configDir: string): ScanResult {
  const result = listArtifacts(configDir, ownFiles(configDir), 1);
  if (!Array.isArray(result)) return result;
  return result[0] === undefined ? { kind: 'none' } : { kind: 'found', rel: result[0] };
}
