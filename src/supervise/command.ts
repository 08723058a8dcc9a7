// What run mode supervises: no arguments means the agent CLI; a first argument starting with "-"
// is passed to the agent CLI; anything else is run as given (docker-library entrypoint convention).
import fs from 'node:fs';
import path from 'node:path';
import { EXIT, ExitError } from '../errors.js';
import { isBelow } from '../fs/paths.js';
import type { Agent } from '../settings/modes.js';

export function commandFor(agent: Agent, args: readonly string[]): [string, ...string[]] {
  if (args.length === 0) return [agent];
  if (args[0]!.startsWith('-')) return [agent, ...args];
  return args as [string, ...string[]];
}

function executableState(file: string): 'ok' | 'missing' | 'not-executable' {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(file);
  } catch {
    return 'missing'; // absent, or in a directory this user cannot search (as execvp skips it)
  }
  if (!stat.isFile()) return 'not-executable';
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return 'ok';
  } catch {
    return 'not-executable';
  }
}

/** Where a PATH search looks for `command`, in order. */
function candidatesFor(command: string, searchPath: string, cwd: string): string[] {
  return command.includes('/') ? [path.resolve(cwd, command)] : searchPath.split(':').map((dir) => path.resolve(cwd, dir || '.', command));
}

/**
 * The same lookup before the boot, so that a command nobody can find or execute is refused (127,
 * 126) before anything is touched. Skipped when a candidate lies in the config dir, where the
 * layers may still put it; the lookup after the privilege drop decides for the agent either way.
 */
export function precheckExecutable(command: string, searchPath: string, cwd: string, configDir: string): void {
  if (candidatesFor(command, searchPath, cwd).some((candidate) => isBelow(configDir, candidate))) return;
  resolveExecutable(command, searchPath, cwd);
}

/**
 * Finds the executable for `command` as the current user would (PATH search unless it has a "/").
 * Throws ExitError 127 when nothing is found, 126 when only non-executable files are.
 */
export function resolveExecutable(command: string, searchPath: string, cwd: string): string {
  const candidates = candidatesFor(command, searchPath, cwd);
  let blocked: string | undefined;
  for (const candidate of candidates) {
    const state = executableState(candidate);
    if (state === 'ok') return candidate;
    if (state === 'not-executable') blocked ??= candidate;
  }
  if (blocked !== undefined) {
    const uid = process.getuid?.();
    const who = uid === 0 ? 'by anyone' : `by uid ${uid}`;
    throw new ExitError(EXIT.notExecutable, `${command}: ${blocked} is not executable ${who}; fix its mode (chmod +x) or ownership`);
  }
  const where = command.includes('/') ? 'no such file' : `not found in PATH (${searchPath})`;
  throw new ExitError(EXIT.notFound, `${command}: command ${where}; check the image installs it or pass the full path`);
}
