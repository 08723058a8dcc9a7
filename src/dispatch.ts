// Chooses the mode, parses the environment once, creates the logger, and runs the mode.
// Modes load lazily so the boot path does not pay for the probes' dependencies.
import { createLogger } from './log/logger.js';
import { loadSettings, modeFromEnv } from './settings/env.js';
import type { Mode } from './settings/modes.js';
import type { Invocation } from './main.js';
import type { ErrorPresenter, Io, ModeModule } from './modes/types.js';

const MODULES: Record<Mode, () => Promise<ModeModule>> = {
  run: () => import('./modes/run.js'),
  'smoke-test': () => import('./modes/smoke-test.js'),
  'auth-init': () => import('./modes/auth-init.js'),
  refresh: () => import('./modes/refresh.js'),
  doctor: () => import('./modes/doctor.js'),
};

export async function dispatch(
  invocation: Invocation,
  env: Record<string, string | undefined>,
  io: Io,
  setPresenter: (presenter: ErrorPresenter) => void,
): Promise<number> {
  const mode: Mode = invocation.mode ?? modeFromEnv(env) ?? 'run';
  const module = await MODULES[mode]();
  if (module.presentError) setPresenter(module.presentError);
  const settings = loadSettings(env, { mode: invocation.mode });
  const log = createLogger({ ...settings.log, base: { mode: settings.mode } });
  return module.run({ settings, args: invocation.args, log, io });
}
