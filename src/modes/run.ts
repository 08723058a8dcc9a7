// run (the default mode): boot the slot, become the agent, then launch and supervise the command.
import fs from 'node:fs';
import { BootError } from '../errors.js';
import { prepareSlot } from '../boot/prepare.js';
import { commandFor, precheckExecutable, resolveExecutable } from '../supervise/command.js';
import { childEnvironment } from '../supervise/environment.js';
import { guardBoot } from '../supervise/boot-guard.js';
import { supervise, type Service } from '../supervise/supervisor.js';
import { refreshBeforeChild, refreshService } from '../refresh/service.js';
import { reloadService } from '../reload/service.js';
import type { ModeContext } from './types.js';

export async function run({ settings, args, log }: ModeContext): Promise<number> {
  const guard = guardBoot(log);
  if (process.pid === 1) {
    log.warn('running as PID 1: orphaned processes are not reaped; put tini in front (ENTRYPOINT ["tini", "--", "agent-entrypoint"])');
  }
  const cwd = settings.paths.workspace;
  const [command, ...rest] = commandFor(settings.agent, args);
  precheckExecutable(command, settings.searchPath, cwd, settings.paths.configDir);
  const slot = await prepareSlot(settings, log, { layers: true, seed: true });
  const stoppedDuringBoot = guard.stoppedWith();
  if (stoppedDuringBoot !== undefined) return stoppedDuringBoot;
  try {
    fs.accessSync(cwd, fs.constants.X_OK);
  } catch {
    throw new BootError(`AGENT_WORKSPACE ${cwd} cannot be entered by uid ${slot.uid}; fix its ownership or mode (the agent runs there)`);
  }
  const file = resolveExecutable(command, settings.searchPath, cwd);
  // One token check before the child starts (bounded, never blocking the start), then the
  // background services for as long as the child runs.
  await refreshBeforeChild(settings, log);
  const stoppedBeforeStart = guard.stoppedWith();
  if (stoppedBeforeStart !== undefined) return stoppedBeforeStart;
  const services = [refreshService(settings), reloadService(settings)].filter((service): service is Service => service !== undefined);
  // No event-loop turn between here and the supervisor's own handlers: nothing is lost.
  guard.handOver();
  return supervise({
    file,
    argv0: command,
    args: rest,
    cwd,
    env: childEnvironment(settings, slot.user),
    stopGraceMs: settings.stopGraceMs,
    log,
    services,
  });
}
