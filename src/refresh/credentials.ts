// Reading the credentials file for the refresher: tolerant of the CLI's own non-atomic writes
// (a torn read is retried), strict about what it then finds, and never quoting the file's text.
import fs from 'node:fs';
import { credentialsPath } from '../credentials/files.js';
import { errnoCode } from '../errors.js';
import { ParseError, parseJsonText, positionOf } from '../layers/parse.js';
import { isPlainObject } from '../layers/merge.js';
import { registerSecret } from '../log/secrets.js';
import type { Settings } from '../settings/env.js';
import type { Agent } from '../settings/modes.js';
import type { Clock } from './clock.js';
import { claudeProvider } from './claude.js';
import { codexProvider } from './codex.js';
import { InvalidCredentials, type Doc, type Inspection, type Provider } from './provider.js';

export function providerFor(agent: Agent): Provider {
  return agent === 'codex' ? codexProvider : claudeProvider;
}

/** The credentials file the CLI reads, a symlink resolved (so a rename replaces its target). */
export function resolvedCredentialsPath(settings: Settings): string {
  const file = credentialsPath(settings);
  try {
    return fs.realpathSync(file);
  } catch {
    return file;
  }
}

export type Read = { kind: 'absent' } | { kind: 'present'; text: string; doc: Doc; inspection: Inspection; stat: FileIdentity | undefined };

/** Enough of a stat to tell that a file was not replaced or rewritten since it was read. */
export interface FileIdentity {
  ino: number;
  size: number;
  mtimeNs: bigint;
  ctimeNs: bigint;
}

/** The file's identity now, or undefined when it cannot be taken (gone, or not ours to see). */
export function identityOf(file: string): FileIdentity | undefined {
  try {
    const stat = fs.statSync(file, { bigint: true, throwIfNoEntry: false });
    return stat ? { ino: Number(stat.ino), size: Number(stat.size), mtimeNs: stat.mtimeNs, ctimeNs: stat.ctimeNs } : undefined;
  } catch {
    return undefined;
  }
}

export function sameIdentity(a: FileIdentity | undefined, b: FileIdentity | undefined): boolean {
  return a !== undefined && b !== undefined && a.ino === b.ino && a.size === b.size && a.mtimeNs === b.mtimeNs && a.ctimeNs === b.ctimeNs;
}

/** The file could not be read at all (permissions, I/O). */
export class UnreadableCredentials extends Error {
  constructor(
    readonly errno: string,
    message: string,
  ) {
    super(message);
    this.name = 'UnreadableCredentials';
  }
}

const TORN_READ_ATTEMPTS = 3;
const TORN_READ_PAUSE_MS = 100;

function readText(file: string): string | undefined {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch (error) {
    const code = errnoCode(error) ?? 'EIO';
    if (code === 'ENOENT') return undefined;
    if (code === 'EISDIR') throw new InvalidCredentials(`${file} is a directory, not a credentials file`);
    throw new UnreadableCredentials(code, `${file} cannot be read by uid ${process.getuid?.() ?? '?'} (${code})`);
  }
}

/** Parses a document; the parse error when it is not (yet) complete JSON. */
function parseDoc(file: string, text: string): Doc | ParseError {
  let value: unknown;
  try {
    value = parseJsonText(text);
  } catch (error) {
    if (error instanceof ParseError) return error;
    throw error;
  }
  if (!isPlainObject(value)) throw new InvalidCredentials(`${file} is JSON but not an object`);
  return value;
}

/** Reads, parses and inspects the credentials. Throws InvalidCredentials or UnreadableCredentials. */
export async function readCredentials(file: string, provider: Provider, clock: Clock): Promise<Read> {
  for (let attempt = 1; ; attempt++) {
    // The identity is taken before reading: a write that lands after it changes it.
    const stat = identityOf(file);
    const text = readText(file);
    if (text === undefined) return { kind: 'absent' };
    const doc = parseDoc(file, text);
    if (!(doc instanceof ParseError)) return { kind: 'present', text, doc, inspection: provider.inspect(doc), stat };
    if (attempt >= TORN_READ_ATTEMPTS) throw new InvalidCredentials(`${file} is not valid JSON${positionOf(doc)}`);
    await clock.sleep(TORN_READ_PAUSE_MS);
  }
}

/** The refresh token on disk now, tolerating a torn or missing file (undefined then). */
export function refreshTokenOnDisk(file: string, provider: Provider): string | undefined {
  try {
    const text = readText(file);
    const doc = text === undefined ? undefined : parseDoc(file, text);
    const token = doc === undefined || doc instanceof ParseError ? undefined : provider.refreshTokenOf(doc);
    registerSecret(token);
    return token;
  } catch {
    return undefined;
  }
}
