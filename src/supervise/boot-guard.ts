// Signals that arrive while the slot boots, before there is a child to forward them to. Without a
// handler, a TERM would end the boot wherever it is (or, as PID 1, be dropped by the kernel and
// the agent would start anyway); a USR1 would kill the process. The guard holds them: a stop
// signal is honoured at the next checkpoint (the agent never starts), the others are ignored.
import { constants as osConstants } from 'node:os';
import { EXIT } from '../errors.js';
import type { Logger } from '../log/logger.js';
import { FORWARDED_SIGNALS } from './supervisor.js';

const STOPS = new Set<NodeJS.Signals>(['SIGTERM', 'SIGINT', 'SIGHUP', 'SIGQUIT']);

export interface BootGuard {
  /** 128+n when a stop signal arrived during the boot, else undefined. */
  stoppedWith(): number | undefined;
  /** From now on the supervisor handles signals; the guard's handlers stay, inert. */
  handOver(): void;
}

export function guardBoot(log: Logger): BootGuard {
  let stop: NodeJS.Signals | undefined;
  let handedOver = false;
  const hold = (signal: NodeJS.Signals) => {
    if (handedOver) return;
    if (STOPS.has(signal) && stop === undefined) {
      stop = signal;
      log.warn({ signal }, 'stop signal during the boot: the agent will not be started');
    } else {
      log.debug({ signal }, 'signal during the boot, before the child exists: ignored');
    }
  };
  for (const signal of FORWARDED_SIGNALS) process.on(signal, hold);
  return {
    stoppedWith: () => (stop === undefined ? undefined : EXIT.signalBase + osConstants.signals[stop]),
    handOver: () => {
      handedOver = true;
    },
  };
}
