// Lists what one config layer provides, safely: symlinks are followed only when they resolve inside
// the layer (kubelet's `key -> ..data/key` links do); anything else is refused before a byte is
// copied, because this runs as root and must never copy an arbitrary host file into the agent's home.
import fs from 'node:fs';
import path from 'node:path';
import { ConfigError, describeErrno, errnoCode } from '../errors.js';
import { isBelow } from '../fs/paths.js';

export type LayerName = 'defaults' | 'overlay';

/** Identity of a source file as it was seen; a later run compares it to skip unchanged files. */
export interface SourceStamp {
  path: string;
  size: number;
  mtimeMs: number;
  ctimeMs: number;
  ino: number;
  dev: number;
}

export interface LayerEntry {
  /** Path relative to the layer root, '/'-separated; the same path in the config dir. */
  rel: string;
  kind: 'file' | 'dir';
  /** Where the operator sees it: `<layer root>/<rel>`. */
  shown: string;
  /** Real path of the content (symlinks resolved). */
  real: string;
  /** Permission bits of the content. */
  mode: number;
  stamp: SourceStamp;
}

export interface Layer {
  name: LayerName;
  root: string;
  entries: LayerEntry[];
  /** A ConfigMap volume's `..data` target when the layer was read (undefined for a plain directory). */
  generation: string | undefined;
}

/**
 * A layer changed while it was being read or applied: a ConfigMap swap landed half-way. Not an
 * error in the layer: the caller plans again once the swap is complete.
 */
export class LayerChangedError extends Error {
  constructor(readonly shown: string) {
    super(`${shown} changed while it was being applied`);
    this.name = 'LayerChangedError';
  }
}

/** The payload directory a ConfigMap volume's `..data` link points to now, if it is one. */
export function generationOf(rootReal: string): string | undefined {
  try {
    return fs.readlinkSync(path.join(rootReal, '..data'));
  } catch {
    return undefined;
  }
}

/** Whether a failed call means the entry vanished: in a ConfigMap being swapped, a change, not a fault. */
function vanished(error: unknown): boolean {
  return errnoCode(error) === 'ENOENT';
}

/** Kubelet's internals at the top of a ConfigMap volume (`..data`, `..2026_11_22_...`), never payload. */
export function isKubeletInternal(name: string): boolean {
  return name.startsWith('..');
}

function stampOf(real: string, stat: fs.Stats): SourceStamp {
  return { path: real, size: stat.size, mtimeMs: stat.mtimeMs, ctimeMs: stat.ctimeMs, ino: stat.ino, dev: stat.dev };
}

function kindOf(stat: fs.Stats): string {
  if (stat.isFIFO()) return 'a FIFO';
  if (stat.isSocket()) return 'a socket';
  if (stat.isCharacterDevice()) return 'a character device';
  if (stat.isBlockDevice()) return 'a block device';
  return 'not a regular file or directory';
}

/**
 * Enumerates a layer directory recursively. Returns undefined when the layer does not exist;
 * throws ConfigError (naming the entry) for an unreadable layer, an escaping or dangling symlink,
 * a symlink loop, or a special file.
 */
export function enumerateLayer(name: LayerName, root: string, variable: string): Layer | undefined {
  let rootReal: string;
  try {
    rootReal = fs.realpathSync(root);
  } catch (error) {
    if (errnoCode(error) === 'ENOENT') return undefined;
    throw new ConfigError(`${variable} ${root} cannot be read: ${describeErrno(error)}; make it readable by root or unset ${variable}`);
  }
  const rootStat = fs.statSync(rootReal);
  if (!rootStat.isDirectory()) {
    throw new ConfigError(`${variable} ${root} is not a directory; point ${variable} at the directory holding the ${name} layer`);
  }

  const generation = generationOf(rootReal);
  const entries: LayerEntry[] = [];
  const walk = (dirReal: string, relDir: string, ancestors: Set<string>) => {
    let names: string[];
    const shownDir = relDir ? path.join(root, relDir) : root;
    try {
      names = fs.readdirSync(dirReal).sort();
    } catch (error) {
      if (relDir !== '' && vanished(error)) throw new LayerChangedError(shownDir);
      throw new ConfigError(`${name} layer directory ${shownDir} cannot be read: ${describeErrno(error)}; fix its permissions`);
    }
    for (const entryName of names) {
      if (relDir === '' && isKubeletInternal(entryName)) continue;
      const rel = relDir ? `${relDir}/${entryName}` : entryName;
      const shown = path.join(root, rel);
      const full = path.join(dirReal, entryName);
      let linkStat: fs.Stats;
      let target: string | undefined;
      try {
        linkStat = fs.lstatSync(full);
        if (linkStat.isSymbolicLink()) target = fs.readlinkSync(full);
      } catch (error) {
        if (vanished(error)) throw new LayerChangedError(shown);
        throw error;
      }
      let real = full;
      let stat = linkStat;
      if (target !== undefined) {
        try {
          real = fs.realpathSync(full);
        } catch (error) {
          // Kubelet's link for a key that left the payload: it removes the link right after the swap.
          if (generation !== undefined && relDir === '' && target.startsWith('..data/') && vanished(error)) continue;
          const problem = errnoCode(error) === 'ELOOP' ? 'is a symlink loop' : 'is a dangling symlink';
          throw new ConfigError(`${name} layer entry ${shown} ${problem} (-> ${target}); remove it or fix its target`);
        }
        if (real !== rootReal && !isBelow(rootReal, real)) {
          throw new ConfigError(
            `${name} layer entry ${shown} is a symlink that escapes the layer (-> ${target}, resolves to ${real}); only links inside ${root} are followed: copy the file into the layer instead`,
          );
        }
        try {
          stat = fs.statSync(real);
        } catch (error) {
          if (vanished(error)) throw new LayerChangedError(shown);
          throw error;
        }
      }
      if (stat.isDirectory()) {
        const id = `${stat.dev}:${stat.ino}`;
        if (ancestors.has(id)) {
          throw new ConfigError(`${name} layer entry ${shown} is a symlink loop (it leads back to one of its parents); remove it`);
        }
        entries.push({ rel, kind: 'dir', shown, real, mode: stat.mode & 0o7777, stamp: stampOf(real, stat) });
        walk(real, rel, new Set([...ancestors, id]));
      } else if (stat.isFile()) {
        entries.push({ rel, kind: 'file', shown, real, mode: stat.mode & 0o7777, stamp: stampOf(real, stat) });
      } else {
        throw new ConfigError(`${name} layer entry ${shown} is ${kindOf(stat)}; a config layer may hold only regular files and directories: remove it from the layer`);
      }
    }
  };
  walk(rootReal, '', new Set([`${rootStat.dev}:${rootStat.ino}`]));
  return { name, root, entries, generation };
}
