// Writes a directory exactly as kubelet's AtomicWriter (pkg/volume/util/atomic_writer.go) updates a
// ConfigMap volume: payload in a fresh `..<timestamp>.<random>` directory, `..data_tmp -> <that>`
// renamed over `..data` (the atomic step), per-key relative links `key -> ..data/key` for the
// top-level names, links of keys that left the payload removed, then the old payload removed.
import fs from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';

export type Payload = Record<string, string | Buffer>;

let payloadWritten: ((file: string, content: string | Buffer) => void) | undefined;

/**
 * Calls `listener` with every payload file written (test/setup.ts hands them to the secret
 * hygiene scan as test input). A hook rather than an import, so that this file stays loadable on
 * its own (the benchmarks import it).
 */
export function onPayloadWritten(listener: (file: string, content: string | Buffer) => void): void {
  payloadWritten = listener;
}

function timestampDirName(): string {
  const now = new Date();
  const pad = (n: number, width = 2) => String(n).padStart(width, '0');
  const stamp = `${now.getUTCFullYear()}_${pad(now.getUTCMonth() + 1)}_${pad(now.getUTCDate())}_${pad(now.getUTCHours())}_${pad(now.getUTCMinutes())}_${pad(now.getUTCSeconds())}`;
  return `..${stamp}.${randomBytes(5).toString('hex')}`;
}

function topLevel(key: string): string {
  return key.split('/')[0]!;
}

/**
 * Applies one ConfigMap update to `dir` (created when missing), as kubelet does. `keepOld` stops
 * before the last step (the old payload is removed): the state a reader can meet in between.
 */
export function writeConfigMap(dir: string, payload: Payload, mode = 0o644, options: { keepOld?: boolean } = {}): void {
  fs.mkdirSync(dir, { recursive: true });
  const dataLink = path.join(dir, '..data');
  let oldTsDir: string | undefined;
  try {
    oldTsDir = fs.readlinkSync(dataLink);
  } catch {
    oldTsDir = undefined;
  }
  const oldTop = new Set<string>();
  if (oldTsDir) for (const name of fs.readdirSync(path.join(dir, oldTsDir))) oldTop.add(name);

  // (4)-(5) the new payload directory
  const tsName = timestampDirName();
  const tsDir = path.join(dir, tsName);
  fs.mkdirSync(tsDir, { mode: 0o755 });
  for (const [key, content] of Object.entries(payload)) {
    const file = path.join(tsDir, key);
    fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o755 });
    fs.writeFileSync(file, content, { mode });
    fs.chmodSync(file, mode);
    payloadWritten?.(file, content);
  }
  // (8)-(9) swap ..data atomically
  const tmpLink = path.join(dir, '..data_tmp');
  fs.symlinkSync(tsName, tmpLink);
  fs.renameSync(tmpLink, dataLink);
  // (10) user-visible links for the top-level names
  const newTop = new Set(Object.keys(payload).map(topLevel));
  for (const name of newTop) {
    const link = path.join(dir, name);
    if (!fs.lstatSync(link, { throwIfNoEntry: false })) fs.symlinkSync(path.join('..data', name), link);
  }
  // (11) links of names that left the payload
  for (const name of oldTop) if (!newTop.has(name)) fs.rmSync(path.join(dir, name), { force: true });
  // (12) the old payload
  if (oldTsDir && !options.keepOld) fs.rmSync(path.join(dir, oldTsDir), { recursive: true, force: true });
}
