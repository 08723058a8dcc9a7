// The supervisor's signal and exit-code contract, with the bundle as a plain child and as PID 1 in
// a fresh PID namespace.
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { FIXTURES, NODE, startBundle } from './helpers/bundle.js';
import { childrenOf, until } from './helpers/process.js';
import { makeSlot } from './helpers/slot.js';
import { Tail } from './helpers/tail.js';
import { removeTempDirs } from './helpers/tree.js';

afterEach(removeTempDirs);

const signalsFixture = path.join(FIXTURES, 'signals.mjs');
const PID_NAMESPACE = ['unshare', '--pid', '--fork', '--mount-proc'];

/** Starts the bundle supervising the signals fixture; resolves once the child is READY. */
async function startSignals(mode: string, pid1: boolean, env: Record<string, string> = {}) {
  const slot = makeSlot();
  const proc = startBundle([NODE, signalsFixture, mode], { env: { ...slot.env, ...env }, wrap: pid1 ? PID_NAMESPACE : undefined });
  const out = new Tail(proc.stdout);
  const err = new Tail(proc.stderr);
  await out.waitForText('READY');
  // As PID 1 the bundle is the child of `unshare`; otherwise it is the process we started.
  const bundle = pid1 ? await until(() => childrenOf(proc.pid!)[0]) : proc.pid!;
  const child = await until(() => childrenOf(bundle)[0]);
  return { proc, out, err, bundle, child };
}

/** Sends `signal` to the bundle and waits until the child has printed it `count` times in all. */
async function roundTrip(bundle: number, out: Tail, signal: string, count: number): Promise<void> {
  process.kill(bundle, signal);
  await out.waitForText(`GOT ${signal}\n`, count);
}

for (const pid1 of [false, true]) {
  describe(pid1 ? 'as PID 1 in a PID namespace' : 'as a plain child', () => {
    it("TERMs that keep coming while the supervisor winds down after the child's exit do not replace its exit code", async () => {
      // The child exits 0 50 ms after the first TERM; TERMs keep arriving until the bundle is
      // gone, so some land after the child's exit, while the supervisor is finishing (stopping the
      // config watch) and while Node is ending the process.
      const { proc, out, bundle } = await startSignals('graceful', pid1, { AGENT_STOP_GRACE: '1h', AGENT_RELOAD: 'on' });
      let exited = false;
      void proc.then(() => (exited = true));
      await roundTrip(bundle, out, 'SIGTERM', 1);
      while (!exited) {
        try {
          process.kill(bundle, 'SIGTERM');
        } catch {
          break;
        }
        await new Promise((resolve) => setTimeout(resolve, 1));
      }
      const result = await proc;
      expect({ exitCode: result.exitCode, signal: result.signal }).toEqual({ exitCode: 0, signal: undefined });
    });
  });
}
