// run (the default mode): boot the slot, become the agent, then launch and supervise the command.
import fs from 'node:fs';
import { BootError } from '../errors.js';
import { prepareSlot, type PreparedSlot } from '../boot/prepare.js';
import type { Settings } from '../settings/env.js';
import { commandFor, resolveExecutable } from '../supervise/command.js';
import { supervise, type Service } from '../supervise/supervisor.js';
import { refreshBeforeChild, refreshService } from '../refresh/service.js';
import { reloadService } from '../reload/service.js';
import type { ModeContext } from './types.js';

/** The supervised command's environment: the container's, minus what only we consume, plus who it is. */
export function childEnvironment(settings: Settings, slot: PreparedSlot): Record<string, string> {
  const configVariable = settings.agent === 'codex' ? 'CODEX_HOME' : 'CLAUDE_CONFIG_DIR';
  return {
    ...settings.childEnv,
    PATH: settings.searchPath,
    HOME: settings.paths.home,
    USER: slot.user,
    LOGNAME: slot.user,
    [configVariable]: settings.paths.configDir,
  };
}

export async function run({ settings, args, log }: ModeContext): Promise<number> {
  if (process.pid === 1) {
    log.warn('running as PID 1: orphaned processes are not reaped; put tini in front (ENTRYPOINT ["tini", "--", "agent-entrypoint"])');
  }
  const slot = await prepareSlot(settings, log, { layers: true, seed: true });
  const cwd = settings.paths.workspace;
  try {
    fs.accessSync(cwd, fs.constants.X_OK);
  } catch {
    throw new BootError(`AGENT_WORKSPACE ${cwd} cannot be entered by uid ${slot.uid}; fix its ownership or mode (the agent runs there)`);
  }
  const [command, ...rest] = commandFor(settings.agent, args);
  const file = resolveExecutable(command, settings.searchPath, cwd);
  // One token check before the child starts (bounded, never blocking the start), then the
  // background services for as long as the child runs.
  await refreshBeforeChild(settings, log);
  const services = [refreshService(settings), reloadService(settings)].filter((service): service is Service => service !== undefined);
  return supervise({
    file,
    argv0: command,
    args: rest,
    cwd,
    env: childEnvironment(settings, slot),
    stopGraceMs: settings.stopGraceMs,
    log,
    services,
  });
}
