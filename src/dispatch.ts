// Chooses the mode, parses the environment once, creates the logger, and runs the mode.
import { createLogger } from './log/logger.js';
import type { ErrorPresenter, Invocation, Io } from './main.js';
import { loadSettings, modeFromEnv } from './settings/env.js';
import type { Mode } from './settings/modes.js';
import { runMode } from './modes/run.js';
import { ExitError, EXIT } from './errors.js';

export async function dispatch(
  invocation: Invocation,
  env: Record<string, string | undefined>,
  io: Io,
  setPresenter: (presenter: ErrorPresenter) => void,
): Promise<number> {
  const requested: Mode = invocation.mode ?? modeFromEnv(env) ?? 'run';
  void setPresenter;
  void io;
  const settings = loadSettings(env, { mode: invocation.mode });
  const log = createLogger({ ...settings.log, base: { mode: settings.mode } });
  switch (requested) {
    case 'run':
      return runMode({ settings, args: invocation.args, log });
    default:
      throw new ExitError(EXIT.failure, `mode ${requested} is not implemented yet`);
  }
}
