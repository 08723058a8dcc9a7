// Plan, then apply: both layers are enumerated, validated and merged in memory; nothing is written
// until the whole plan is known to be good.
import fs from 'node:fs';
import { ConfigError, errnoCode } from '../errors.js';
import { CREDENTIALS_FILE, REFRESH_STATUS_FILE, lockFileFor } from '../credentials/files.js';
import { TEMP_PREFIX } from '../fs/atomic.js';
import type { Agent } from '../settings/modes.js';
import { enumerateLayer, generationOf, LayerChangedError, type Layer, type LayerEntry } from './enumerate.js';
import { MANIFEST_FILE } from './manifest.js';
import { deepMerge } from './merge.js';
import { ParseError, parseStructured, serializeStructured, structuredKind } from './parse.js';

export interface PlannedFile {
  rel: string;
  origin: 'defaults' | 'overlay' | 'merged';
  /** Permission bits: the source's, with owner write added. */
  mode: number;
  mtimeMs: number;
  /** The layer files it comes from (one, or two when merged). */
  sources: LayerEntry[];
  /** Content, for files that were parsed (TOML/JSON); other files are copied from `sources[0]`. */
  content: Buffer | undefined;
}

export interface PlannedDir {
  rel: string;
  mode: number;
}

export interface Plan {
  files: PlannedFile[];
  dirs: PlannedDir[];
  /** Layer roots that exist (missing layers are skipped). */
  present: string[];
}

export interface LayerSources {
  agent: Agent;
  defaultsDir: string;
  overlayDir: string;
}

/** Names in the config dir that belong to the CLI or to this program, never to a layer. */
export function reservedNames(agent: Agent): Map<string, string> {
  const credentials = CREDENTIALS_FILE[agent];
  return new Map([
    [credentials, agent === 'codex' ? 'credentials belong on the volume: seed them with CODEX_SESSION or run auth-init' : 'credentials belong on the volume: run auth-init'],
    [lockFileFor(credentials), 'it is the refresh lock'],
    [REFRESH_STATUS_FILE, 'it is written by the refresh watchdog'],
    [MANIFEST_FILE, 'it records what the layers wrote'],
  ]);
}

function readSource(entry: LayerEntry): Buffer {
  try {
    return fs.readFileSync(entry.real);
  } catch (error) {
    if (errnoCode(error) === 'ENOENT') throw new LayerChangedError(entry.shown);
    throw new ConfigError(`cannot read ${entry.shown}: ${(error as Error).message.split(',')[0]}`);
  }
}

/** Reads and validates a TOML/JSON source, naming the file and position when it does not parse. */
function parseSource(entry: LayerEntry, bytes: Buffer): unknown {
  const kind = structuredKind(entry.rel)!;
  try {
    return parseStructured(kind, bytes.toString('utf8'));
  } catch (error) {
    if (error instanceof ParseError) throw new ConfigError(`${entry.shown} is ${error.message}; fix the file (nothing was applied)`);
    throw error;
  }
}

function planFile(rel: string, lower: LayerEntry | undefined, upper: LayerEntry | undefined): PlannedFile {
  const top = (upper ?? lower)!;
  const kind = structuredKind(rel);
  const sources = [lower, upper].filter((entry): entry is LayerEntry => entry !== undefined);
  const mode = (top.mode & 0o777) | 0o200;
  if (kind === undefined) {
    return { rel, origin: upper ? 'overlay' : 'defaults', mode, mtimeMs: top.stamp.mtimeMs, sources: [top], content: undefined };
  }
  const parsed = sources.map((entry) => {
    const bytes = readSource(entry);
    return { entry, bytes, value: parseSource(entry, bytes) };
  });
  if (parsed.length === 1) {
    return { rel, origin: upper ? 'overlay' : 'defaults', mode, mtimeMs: top.stamp.mtimeMs, sources, content: parsed[0]!.bytes };
  }
  const merged = deepMerge(parsed[0]!.value, parsed[1]!.value);
  return {
    rel,
    origin: 'merged',
    mode,
    mtimeMs: Math.max(...sources.map((entry) => entry.stamp.mtimeMs)),
    sources,
    content: Buffer.from(serializeStructured(kind, merged)),
  };
}

/** Builds the plan from both layers. Throws ConfigError naming the culprit; writes nothing. */
export function planLayers(sources: LayerSources): Plan {
  const layers = [
    enumerateLayer('defaults', sources.defaultsDir, 'AGENT_DEFAULTS_DIR'),
    enumerateLayer('overlay', sources.overlayDir, 'AGENT_OVERLAY_DIR'),
  ];
  const [lower, upper] = layers.map((layer) => new Map((layer?.entries ?? []).map((entry) => [entry.rel, entry])));
  const reserved = reservedNames(sources.agent);
  const rels = [...new Set([...lower!.keys(), ...upper!.keys()])].sort();
  const files: PlannedFile[] = [];
  const dirs: PlannedDir[] = [];
  for (const rel of rels) {
    const a = lower!.get(rel);
    const b = upper!.get(rel);
    if (a && b && a.kind !== b.kind) {
      const [file, dir] = a.kind === 'file' ? [a, b] : [b, a];
      throw new ConfigError(`${rel} is a file in one layer (${file.shown}) and a directory in the other (${dir.shown}); make both the same kind`);
    }
    const name = rel.split('/').pop()!;
    const why = reserved.get(rel);
    if (why !== undefined || name.startsWith(TEMP_PREFIX)) {
      throw new ConfigError(`${(b ?? a)!.shown} may not be provided by a config layer (${why ?? 'temporary file name'}); remove it from the layer`);
    }
    if ((b ?? a)!.kind === 'dir') dirs.push({ rel, mode: ((b ?? a)!.mode & 0o777) | 0o700 });
    else files.push(planFile(rel, a, b));
  }
  const present = layers.filter((layer): layer is Layer => layer !== undefined);
  // One version of a ConfigMap: a swap during the reading may have mixed two, so it is read again.
  for (const layer of present) {
    if (layer.generation !== undefined && generationOf(layer.root) !== layer.generation) {
      throw new LayerChangedError(`${layer.root}/..data`);
    }
  }
  return { files, dirs, present: present.map((layer) => layer.root) };
}
