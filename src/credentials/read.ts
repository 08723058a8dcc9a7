// Reads a credentials file as the current user (the caller has become the agent), turning every
// way it can fail into evidence an operator can act on: who owns what blocked the read, and how.
// What is read is registered as secret at once, so no output of this process can print it.
import fs from 'node:fs';
import path from 'node:path';
import { describeErrno, errnoCode } from '../errors.js';
import { octal } from '../fs/mode.js';
import { registerSecret } from '../log/secrets.js';
import { invalid, type CredentialVerdict } from './verdict.js';

/** A credentials file larger than this is not one (they are a few KiB); it is not read. */
export const MAX_CREDENTIALS_BYTES = 1 << 20;

/** What blocked an operation: the path, its owner and mode, the errno. */
export interface Evidence {
  operation: string;
  errno?: string | undefined;
  path?: string | undefined;
  ownerUid?: number | undefined;
  ownerGid?: number | undefined;
  /** Permission bits in octal, such as "600". */
  mode?: string | undefined;
}

export type FileRead =
  | { kind: 'absent' }
  | { kind: 'content'; text: string; stat: fs.Stats }
  | { kind: 'problem'; verdict: CredentialVerdict; evidence: Evidence };

function statOrUndefined(file: string): fs.Stats | undefined {
  try {
    return fs.statSync(file);
  } catch {
    return undefined;
  }
}

/** The first directory on the way to `file` that this process cannot search, if any. */
function blockingDirectory(file: string): { dir: string; stat: fs.Stats | undefined } | undefined {
  let dir = path.dirname(path.resolve(file));
  const chain: string[] = [];
  for (;;) {
    chain.unshift(dir);
    const parent = path.dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  for (const candidate of chain) {
    try {
      fs.accessSync(candidate, fs.constants.X_OK);
    } catch {
      return { dir: candidate, stat: statOrUndefined(candidate) };
    }
  }
  return undefined;
}

/** The uid this process judges as (the agent, once privileges are dropped). */
export function currentUid(): number {
  return process.getuid?.() ?? -1;
}

function ownedBy(stat: fs.Stats | undefined): string {
  return stat ? `owned by ${stat.uid}:${stat.gid} with mode ${octal(stat.mode)}` : 'of unknown owner';
}

/** The problem when the file's metadata cannot be read. */
function statProblem(file: string, error: unknown): FileRead {
  const errno = errnoCode(error);
  if (errno === 'EACCES') {
    const blocked = blockingDirectory(file);
    const where = blocked ? `directory ${blocked.dir} (${ownedBy(blocked.stat)})` : 'a parent directory';
    return {
      kind: 'problem',
      verdict: invalid('unreadable', `cannot be reached by uid ${currentUid()}: ${where} is not searchable (EACCES)`),
      evidence: { operation: `stat(${file})`, errno, path: blocked?.dir, ownerUid: blocked?.stat?.uid, ownerGid: blocked?.stat?.gid, mode: blocked?.stat ? octal(blocked.stat.mode) : undefined },
    };
  }
  return { kind: 'problem', verdict: invalid('unreadable', `cannot be examined: ${describeErrno(error)}`), evidence: { operation: `stat(${file})`, errno, path: file } };
}

/** Reads `file` (following a symlink, as the CLIs do). Never throws; never returns a secret in a message. */
export function readCredentialFile(file: string): FileRead {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(file);
  } catch (error) {
    if (errnoCode(error) !== 'ENOENT') return statProblem(file, error);
    if (!fs.lstatSync(file, { throwIfNoEntry: false })) return { kind: 'absent' };
    return {
      kind: 'problem',
      verdict: invalid('unreadable', 'is a symlink to a file that does not exist'),
      evidence: { operation: `stat(${file})`, errno: 'ENOENT', path: file },
    };
  }
  const evidence = { path: file, ownerUid: stat.uid, ownerGid: stat.gid, mode: octal(stat.mode) };
  if (!stat.isFile()) {
    return { kind: 'problem', verdict: invalid('not-a-file', 'is not a regular file'), evidence: { operation: `stat(${file})`, ...evidence } };
  }
  if (stat.size > MAX_CREDENTIALS_BYTES) {
    return { kind: 'problem', verdict: invalid('too-large', `is ${stat.size} bytes, too large to be credentials`), evidence: { operation: `stat(${file})`, ...evidence } };
  }
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (error) {
    const errno = errnoCode(error);
    return {
      kind: 'problem',
      verdict: invalid('unreadable', `cannot be read by uid ${currentUid()} (${describeErrno(error)}): it is ${ownedBy(stat)}`),
      evidence: { operation: `open(${file}, O_RDONLY)`, errno, ...evidence },
    };
  }
  registerCredentialText(text);
  return { kind: 'content', text, stat };
}

/**
 * Registers a credential file's text as secret: the whole text, every string in it when it is
 * JSON, and every long token-like run when it is not (a half-written file still holds tokens).
 */
export function registerCredentialText(text: string): void {
  registerSecret(text);
  for (const run of text.match(/[A-Za-z0-9._~+/=-]{20,}/g) ?? []) registerSecret(run);
}
