// Secret hygiene across the whole suite: everything the program printed or wrote, and what its
// children were given, scanned for the fixture secrets as the tests run.
//
// What is scanned:
//   - stdout and stderr of every run of the bundle (runBundle, startBundle): its logs, its JSON
//     lines, its FATAL lines, and what its children printed through the inherited descriptors;
//   - the command line and environment of every process the bundle starts, read from
//     /proc/<pid>/cmdline and /proc/<pid>/environ while they run (polled). An environment entry
//     the bundle itself was given, name and value, is passed through on purpose (OPENAI_API_KEY is
//     the CLI's own credential); CODEX_SESSION, which the program consumes, is never passed on;
//   - every file in the tests' temp directories when they are removed (removeTempDirs): status
//     files, manifests, config dirs, workspaces, lock and temp files, login output, and the
//     directory given to the bundle as TMPDIR. Credentials belong in the credentials files
//     (`auth.json`, `.credentials.json`), and a temp file of ours with no group or other access may
//     hold them between a write and its rename; files a test wrote itself as input are skipped
//     (writeTree, writeCredentials and writeConfigMap record them, with their content).
// What is looked for: the fixture marker (every fixture token carries it), every JWT payload the
// fixtures made, every token a test token server minted (and any 20-character piece of a JWT
// between its dots), and the value of every secret variable a test set.
//
// Each test file's counts and hits are appended to $AE_HYGIENE_DIR (set by the global setup,
// test/hygiene-setup.ts), which fails the run when there is any hit, and reports the totals.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { jwtPayloads, SECRET_MARKER } from '../fixtures/credentials.mjs';
import { childrenOf } from './process.js';

const SECRET_VARIABLES = ['CODEX_SESSION', 'OPENAI_API_KEY', 'CODEX_API_KEY', 'ANTHROPIC_API_KEY', 'CLAUDE_CODE_OAUTH_TOKEN'];
const CREDENTIAL_FILES = new Set(['auth.json', '.credentials.json']);
const TEMP_PREFIX = '.agent-entrypoint.tmp.';
/** Secrets are found by their first characters, then compared in full. */
const KEY_LENGTH = 12;
const MAX_FILE_BYTES = 16 * 1024 * 1024;


export interface Hit {
  where: string;
  /** The secret's kind and length, never the secret. */
  what: string;
}

export interface Counts {
  outputs: number;
  outputBytes: number;
  processes: number;
  files: number;
  fileBytes: number;
  secrets: number;
}

function readProc(pid: number, name: string): string | undefined {
  try {
    return fs.readFileSync(`/proc/${pid}/${name}`, 'latin1');
  } catch {
    return undefined;
  }
}

/** One scan: the secrets to look for, what was scanned, and what was found. */
export class Scanner {
  readonly counts: Counts = { outputs: 0, outputBytes: 0, processes: 0, files: 0, fileBytes: 0, secrets: 0 };
  readonly hits: Hit[] = [];
  readonly #index = new Map<string, Set<string>>();
  readonly #known = new Set<string>();
  readonly #syncedPayloads = new Set<string>();
  /** Files the tests wrote as input, with what they wrote. */
  readonly #inputs = new Map<string, Buffer>();

  #add(secret: string): void {
    if (secret.length < KEY_LENGTH || this.#known.has(secret)) return;
    this.#known.add(secret);
    const key = secret.slice(0, KEY_LENGTH);
    let bucket = this.#index.get(key);
    if (!bucket) this.#index.set(key, (bucket = new Set()));
    bucket.add(secret);
    this.counts.secrets++;
  }

  /** Registers secrets to look for: a token, and any piece of a JWT long enough to be recognised. */
  noteSecrets(values: Iterable<string>): void {
    for (const value of values) {
      this.#add(value);
      if (value.split('.').length === 3) for (const part of value.split('.')) if (part.length >= 20) this.#add(part);
    }
  }

  /** Secret values of the variables a run is given: they must never be printed. */
  noteEnvironment(env: Record<string, string | undefined>): void {
    this.noteSecrets(SECRET_VARIABLES.map((name) => env[name]).filter((value): value is string => value !== undefined && value.length >= 8));
  }

  /** Records a file a test wrote as input (it may hold a secret on purpose). */
  noteInput(file: string, content: string | Buffer): void {
    this.#inputs.set(path.resolve(file), Buffer.from(content));
  }

  /** Secrets found in a text: the marker, or any registered secret. Kinds and lengths, never values. */
  find(text: string): string[] {
    for (const payload of jwtPayloads) {
      if (this.#syncedPayloads.has(payload)) continue;
      this.#syncedPayloads.add(payload);
      this.#add(payload);
    }
    const found: string[] = [];
    if (text.includes(SECRET_MARKER)) found.push('the fixture marker');
    for (let i = 0; i + KEY_LENGTH <= text.length; i++) {
      const bucket = this.#index.get(text.slice(i, i + KEY_LENGTH));
      if (!bucket) continue;
      for (const secret of bucket) if (text.startsWith(secret, i)) found.push(`a registered secret of ${secret.length} characters`);
    }
    return [...new Set(found)];
  }

  /** Scans a printed text. */
  scanOutput(where: string, text: string): void {
    this.counts.outputs++;
    this.counts.outputBytes += text.length;
    for (const what of this.find(text)) this.hits.push({ where, what });
  }

  /**
   * Watches the processes below `pid` (the bundle, or the `unshare` wrapping it) until the
   * returned function is called, scanning the command line and environment of each. Processes
   * whose command line holds `bundle` are the bundle itself (its environment is the test's).
   */
  watchChildren(pid: number, given: Record<string, string | undefined>, bundle: string): () => void {
    const passedOn = new Set(Object.entries(given).filter(([name, value]) => value !== undefined && name !== 'CODEX_SESSION').map(([name, value]) => `${name}=${value}`));
    const seen = new Set<string>();
    const look = () => {
      const queue = childrenOf(pid);
      while (queue.length > 0) {
        const child = queue.shift()!;
        queue.push(...childrenOf(child));
        const cmdline = readProc(child, 'cmdline');
        if (cmdline === undefined || cmdline.includes(bundle)) continue;
        const id = `${child}\0${cmdline}`;
        if (seen.has(id)) continue;
        const environ = readProc(child, 'environ');
        if (environ === undefined) continue;
        seen.add(id);
        this.counts.processes++;
        const argv = cmdline.split('\0').filter(Boolean);
        const where = `the command line or environment of a child (${argv.slice(0, 2).join(' ')})`;
        const own = environ.split('\0').filter((entry) => entry !== '' && !passedOn.has(entry));
        for (const what of this.find(`${argv.join(' ')}\n${own.join('\n')}`)) this.hits.push({ where, what });
      }
    };
    const timer = setInterval(look, 15);
    look();
    return () => {
      look();
      clearInterval(timer);
    };
  }

  #allowed(file: string, stat: fs.Stats, content: Buffer): boolean {
    const name = path.basename(file);
    if (CREDENTIAL_FILES.has(name)) return true;
    if (name.startsWith(TEMP_PREFIX) && (stat.mode & 0o077) === 0) return true;
    const input = this.#inputs.get(file);
    return input !== undefined && input.equals(content);
  }

  /** Scans every regular file below `dir` (not following symlinks). */
  scanTree(dir: string): void {
    const walk = (current: string) => {
      let entries: fs.Dirent[];
      try {
        entries = fs.readdirSync(current, { withFileTypes: true });
      } catch {
        return;
      }
      for (const entry of entries) {
        const file = path.join(current, entry.name);
        if (entry.isDirectory()) walk(file);
        else if (entry.isFile()) this.#scanFile(file);
      }
    };
    walk(dir);
  }

  #scanFile(file: string): void {
    let stat: fs.Stats;
    let content: Buffer;
    try {
      stat = fs.lstatSync(file);
      if (stat.size > MAX_FILE_BYTES) return;
      content = fs.readFileSync(file);
    } catch {
      return;
    }
    this.counts.files++;
    this.counts.fileBytes += content.length;
    const found = this.find(content.toString('latin1'));
    if (found.length === 0 || this.#allowed(file, stat, content)) return;
    for (const what of found) this.hits.push({ where: `file ${file} (mode ${(stat.mode & 0o777).toString(8)})`, what });
  }

  /** Empties counts and hits (the secrets and inputs stay known). */
  reset(): void {
    for (const key of Object.keys(this.counts) as Array<keyof Counts>) this.counts[key] = 0;
    this.hits.length = 0;
  }
}

/** The suite's scanner: the helpers feed it as the tests run. */
export const hygiene = new Scanner();

let tmpDir: string | undefined;

/** The bundle's TMPDIR: anything it or its children write there is scanned (world-writable, as /tmp). */
export function bundleTmpDir(): string {
  if (!tmpDir) {
    tmpDir = fs.mkdtempSync(path.join(os.tmpdir(), 'ae-tmpdir-'));
    fs.chmodSync(tmpDir, 0o1777);
  }
  return tmpDir;
}

/** Appends this test file's counts and hits to the suite's record, and starts afresh. */
export function flushHygiene(testFile: string): void {
  if (tmpDir) {
    hygiene.scanTree(tmpDir);
    fs.rmSync(tmpDir, { recursive: true, force: true });
    tmpDir = undefined;
  }
  const dir = process.env.AE_HYGIENE_DIR;
  if (dir) fs.appendFileSync(path.join(dir, `${process.pid}.jsonl`), `${JSON.stringify({ testFile, ...hygiene.counts, hits: hygiene.hits })}\n`);
  hygiene.reset();
}
