// Creates and repairs the agent's directories. As root, nothing inside a directory the agent owns is
// followed through a symlink: the agent could plant one pointing at /etc, and a root chown through
// it would hand the agent the host's files.
import fs from 'node:fs';
import path from 'node:path';
import { BootError, ConfigError, describeErrno, errnoCode } from '../errors.js';
import type { Owner } from '../fs/atomic.js';
import { mountPoints } from '../fs/mounts.js';

export interface DirSpec {
  /** The variable that names it, for messages. */
  variable: string;
  path: string;
  mode: number;
  /** Group and other permission bits are removed (the config dir holds credentials). */
  private?: boolean;
  /**
   * A mount point owned by another non-root uid (a host bind mount) is left as it is: chowning it
   * would change the host's files. The operator is told instead (see the workspace check).
   */
  leaveForeignMount?: boolean;
}

/** True when `dir` is a mount point owned by neither root nor the agent. */
function isForeignMount(dir: string, stat: fs.Stats, owner: Owner): boolean {
  if (stat.uid === 0 || stat.uid === owner.uid) return false;
  return fs.statSync(path.dirname(dir)).dev !== stat.dev || mountPoints().has(fs.realpathSync(dir));
}

export type DirOutcome = 'created' | 'repaired' | 'ok';

/**
 * Refuses a path that goes through a symlink sitting in a directory not owned by root, at any
 * depth: the agent owns its home, so it could replace `~/.config` with a link to /etc and have root
 * create and chown directories there. Links root owns the place of (an operator's) are followed.
 */
function checkSymlinks(spec: DirSpec): void {
  let current = path.parse(spec.path).root;
  for (const segment of spec.path.split(path.sep).filter(Boolean)) {
    const next = path.join(current, segment);
    const stat = fs.lstatSync(next, { throwIfNoEntry: false });
    if (!stat) return; // the rest is created by root, as real directories
    if (!stat.isSymbolicLink()) {
      current = next;
      continue;
    }
    const parent = fs.statSync(current);
    if (parent.uid !== 0) {
      throw new ConfigError(
        `${spec.variable} ${spec.path} ${next === path.normalize(spec.path) ? 'is' : `goes through ${next},`} a symlink inside a directory owned by uid ${parent.uid}; refusing to follow it as root: set ${spec.variable} to the real directory (${safeRealpath(spec.path)})`,
      );
    }
    current = fs.realpathSync(next);
  }
}

function safeRealpath(file: string): string {
  try {
    return fs.realpathSync(file);
  } catch {
    return 'its target';
  }
}

/**
 * Makes `spec.path` a directory owned by `owner` (when given, i.e. as root) with at least the
 * owner's rwx bits, creating missing parents root-owned. Returns what it did.
 */
export function ensureDirectory(spec: DirSpec, owner: Owner | undefined): DirOutcome {
  try {
    if (owner) checkSymlinks(spec);
    let outcome: DirOutcome = 'ok';
    if (!fs.existsSync(spec.path)) {
      fs.mkdirSync(path.dirname(spec.path), { recursive: true, mode: 0o755 });
      try {
        fs.mkdirSync(spec.path, { mode: spec.mode });
        fs.chmodSync(spec.path, spec.mode);
        outcome = 'created';
      } catch (error) {
        if (errnoCode(error) !== 'EEXIST') throw error;
      }
    }
    const stat = fs.statSync(spec.path);
    if (!stat.isDirectory()) {
      throw new ConfigError(`${spec.variable} ${spec.path} exists but is not a directory; move it aside or point ${spec.variable} elsewhere`);
    }
    // Like the migration, only a wrong owner is repaired: a group set on purpose (fsGroup, a shared
    // workspace group) is kept on existing directories.
    if (owner && (outcome === 'created' ? stat.gid !== owner.gid || stat.uid !== owner.uid : stat.uid !== owner.uid)) {
      if (spec.leaveForeignMount && outcome !== 'created' && isForeignMount(spec.path, stat, owner)) return 'ok';
      fs.chownSync(spec.path, owner.uid, owner.gid);
      if (outcome === 'ok') outcome = 'repaired';
    }
    let mode = stat.mode & 0o7777;
    if (outcome !== 'created') {
      const wanted = spec.private ? (mode | 0o700) & ~0o077 : mode | 0o700;
      if (wanted !== mode && (owner || stat.uid === process.getuid?.())) {
        fs.chmodSync(spec.path, wanted);
        mode = wanted;
        if (outcome === 'ok') outcome = 'repaired';
      }
    }
    return outcome;
  } catch (error) {
    if (error instanceof ConfigError) throw error;
    const hint = owner ? 'check the volume mount' : 'create it in the image or volume, or run the entrypoint as root';
    throw new BootError(`cannot create or repair ${spec.variable} ${spec.path}: ${describeErrno(error)}; ${hint}`, { cause: error });
  }
}
