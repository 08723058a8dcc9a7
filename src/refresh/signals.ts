// Stop signals while a check runs: they interrupt waiting (for the lock, for the next check),
// never a request in flight or a write, because abandoning a redeemed token loses it.
const STOP_SIGNALS = ['SIGTERM', 'SIGINT', 'SIGHUP'] as const;

/** Calls `onStop` for each stop signal until the returned function removes the handlers. */
export function onStopSignals(onStop: (signal: NodeJS.Signals) => void): () => void {
  for (const signal of STOP_SIGNALS) process.on(signal, onStop);
  return () => {
    for (const signal of STOP_SIGNALS) process.off(signal, onStop);
  };
}

export interface Deferred<T> {
  value: T;
  /** The first stop signal that arrived meanwhile, if any. */
  stopped: NodeJS.Signals | undefined;
}

/** Runs `task` with stop signals turned into an abort of its waits. */
export async function withStopDeferred<T>(task: (signal: AbortSignal) => Promise<T>): Promise<Deferred<T>> {
  const controller = new AbortController();
  let stopped: NodeJS.Signals | undefined;
  const removeHandlers = onStopSignals((signal) => {
    stopped ??= signal;
    controller.abort();
  });
  try {
    return { value: await task(controller.signal), stopped };
  } finally {
    removeHandlers();
  }
}

/** Delivers a deferred stop signal again, now with its default action (the process ends by it). */
export function redeliver(signal: NodeJS.Signals | undefined): void {
  if (signal !== undefined && process.listenerCount(signal) === 0) process.kill(process.pid, signal);
}
