// The importable core: argv and env in, exit code out. No process.exit here: the entry sets
// process.exitCode and the process ends when nothing is left running.
import { EXIT, ExitError } from './errors.js';
import { writeAllSync } from './log/write.js';
import { scrub } from './log/secrets.js';
import { isMode, type Mode } from './settings/modes.js';
import { VERSION } from './version.js';
import { HELP } from './help.js';

import type { ErrorPresenter, Io } from './modes/types.js';

export type { Io };

/** Every line this program prints goes through `scrub`, so a registered secret can never appear. */
export const processIo: Io = {
  stdout: (text) => writeAllSync(1, scrub(text)),
  stderr: (text) => writeAllSync(2, scrub(text)),
};

export interface Invocation {
  /** The mode named on the command line, if any (wins over AGENT_MODE). */
  mode: Mode | undefined;
  /** What follows the mode: the command for run mode, flags for the others. */
  args: string[];
}

/** `agent-entrypoint [MODE] [ARGS...]`: MODE only when the first argument is a mode's name. */
export function parseInvocation(argv: readonly string[]): Invocation {
  return isMode(argv[0]) ? { mode: argv[0], args: argv.slice(1) } : { mode: undefined, args: [...argv] };
}

const fatalLine: ErrorPresenter = (error, io) => io.stderr(`FATAL: ${error.message}\n`);

export async function main(argv: readonly string[], env: Record<string, string | undefined>, io: Io = processIo): Promise<number> {
  const invocation = parseInvocation(argv);
  // Run mode's arguments after the first are the supervised command's own (`bash --help`); the
  // other modes take flags only, so --help and --version count wherever they stand.
  const flags = invocation.mode !== undefined && invocation.mode !== 'run' ? invocation.args : invocation.args.slice(0, 1);
  if (flags.includes('--help') || (invocation.mode !== undefined && flags.includes('-h'))) {
    io.stdout(HELP);
    return EXIT.ok;
  }
  if (flags.includes('--version')) {
    io.stdout(`agent-entrypoint ${VERSION}\n`);
    return EXIT.ok;
  }
  let present: ErrorPresenter = fatalLine;
  try {
    const { dispatch } = await import('./dispatch.js');
    return await dispatch(invocation, env, io, (presenter) => {
      present = presenter;
    });
  } catch (error) {
    if (error instanceof ExitError) {
      present(error, io, { agent: env.AGENT, args: invocation.args });
      return error.exitCode;
    }
    const detail = error instanceof Error ? (error.stack ?? error.message) : String(error);
    io.stderr(`FATAL: internal error (a bug; please report it): ${detail}\n`);
    return EXIT.failure;
  }
}
