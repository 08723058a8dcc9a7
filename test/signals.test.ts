// The supervisor's signal and exit-code contract, with cases modelled on the test suites of tini
// (every exit code 0..255, the child's signal state at start) and dumb-init (exit statuses
// passed through, 128+n for a child killed by each signal, every forwardable signal arriving once
// per send). Each runs with the bundle as a plain child and as PID 1 in a fresh PID namespace.
// The bundle's own additions are tested the same way: the stop grace (one timer, one SIGKILL,
// whatever else arrives) and reaping of the processes it starts.
import { constants } from 'node:os';
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { FIXTURES, NODE, PID_NAMESPACE, runBundle, startBundle } from './helpers/bundle.js';
import { childrenOf, processState, until } from './helpers/process.js';
import { makeSlot } from './helpers/slot.js';
import { Tail } from './helpers/tail.js';
import { removeTempDirs } from './helpers/tree.js';

afterEach(removeTempDirs);

const signalsFixture = path.join(FIXTURES, 'signals.mjs');
const FORWARDED = ['SIGHUP', 'SIGINT', 'SIGQUIT', 'SIGTERM', 'SIGUSR1', 'SIGUSR2', 'SIGWINCH'] as const;

/** Runs `task` over `items`, at most `limit` at a time. */
async function pooled<T>(items: readonly T[], limit: number, task: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: limit }, async () => {
    while (next < items.length) await task(items[next++]!);
  }));
}

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

const occurrences = (text: string, needle: string) => text.split(needle).length - 1;

for (const pid1 of [false, true]) {
  describe(pid1 ? 'as PID 1 in a PID namespace' : 'as a plain child', () => {
    it('every exit code 0..255 passes through', async () => {
      const slot = makeSlot();
      const env = { ...slot.env, LOG_LEVEL: 'warn' };
      const codes = Array.from({ length: 256 }, (_, code) => code);
      const wrong: string[] = [];
      await pooled(codes, 4, async (code) => {
        const result = await runBundle(['sh', '-c', `exit ${code}`], { env, wrap: pid1 ? PID_NAMESPACE : undefined });
        if (result.exitCode !== code) wrong.push(`${code} -> ${result.exitCode} (${result.stderr.trim()})`);
      });
      expect(wrong).toEqual([]);
    });

    it('a child killed by signal n gives 128+n, for every signal whose default action ends it', async () => {
      const slot = makeSlot();
      const env = { ...slot.env, LOG_LEVEL: 'warn' };
      // The child kills itself, as dumb-init's tests do: no signal passes through the supervisor.
      const fatal = ['SIGHUP', 'SIGINT', 'SIGQUIT', 'SIGILL', 'SIGTRAP', 'SIGABRT', 'SIGBUS', 'SIGFPE', 'SIGKILL', 'SIGUSR1', 'SIGSEGV', 'SIGUSR2', 'SIGPIPE', 'SIGALRM', 'SIGTERM', 'SIGXCPU', 'SIGXFSZ', 'SIGVTALRM', 'SIGPROF', 'SIGSYS'] as const;
      const wrong: string[] = [];
      await pooled(fatal, 4, async (signal) => {
        const number = constants.signals[signal];
        // `ulimit -c 0`: no core files from the core-dumping signals.
        const result = await runBundle(['sh', '-c', `ulimit -c 0; kill -${number} $$; sleep 10`], { env, wrap: pid1 ? PID_NAMESPACE : undefined });
        if (result.exitCode !== 128 + number) wrong.push(`${signal} -> ${result.exitCode}`);
      });
      expect(wrong).toEqual([]);
    });

    it('a child killed from outside by SIGKILL gives 137, and the supervisor has reaped it (no zombie left)', async () => {
      const { proc, bundle, child } = await startSignals('record', pid1, { AGENT_STOP_GRACE: '1h' });
      expect(processState(child)).not.toMatch(/^Z/);
      process.kill(child, 'SIGKILL');
      const result = await proc;
      expect(result.exitCode).toBe(137);
      // Reaped: the pid is gone, not a zombie waiting for a parent that stopped looking.
      expect(processState(child)).toBeUndefined();
      expect(processState(bundle)).toBeUndefined();
    });

    it('each of HUP, INT, QUIT, TERM, USR1, USR2 and WINCH reaches the child exactly once per send, in order, three rounds', async () => {
      // A long grace: TERM and INT start it, and it must not end the child during this test.
      const { proc, out, bundle, child } = await startSignals('record', pid1, { AGENT_STOP_GRACE: '1h' });
      for (let round = 1; round <= 3; round++) {
        for (const signal of FORWARDED) await roundTrip(bundle, out, signal, round);
      }
      const lines = out.text.split('\n').filter((line) => line.startsWith('GOT '));
      expect(lines).toEqual([...FORWARDED, ...FORWARDED, ...FORWARDED].map((signal) => `GOT ${signal}`));
      process.kill(child, 'SIGKILL');
      expect((await proc).exitCode).toBe(137);
    });

    it('the child starts with no blocked and no ignored signals (Node itself ignores SIGPIPE)', async () => {
      const slot = makeSlot();
      const result = await runBundle(['sh', '-c', 'grep -E "^Sig(Blk|Ign):" /proc/self/status'], { env: { ...slot.env, LOG_LEVEL: 'warn' }, wrap: pid1 ? PID_NAMESPACE : undefined });
      expect(result.exitCode, result.stderr).toBe(0);
      expect(result.stdout.trim().split('\n').map((line) => line.split(/\s+/)[1])).toEqual(['0000000000000000', '0000000000000000']);
    });

    it('further TERMs and INTs during a long grace are forwarded once each and do not shorten it', async () => {
      const { proc, out, err, bundle, child } = await startSignals('record', pid1, { AGENT_STOP_GRACE: '1h' });
      const seen = new Map<string, number>();
      for (const signal of ['SIGTERM', 'SIGTERM', 'SIGINT', 'SIGTERM']) {
        seen.set(signal, (seen.get(signal) ?? 0) + 1);
        await roundTrip(bundle, out, signal, seen.get(signal)!);
      }
      // Ordering instead of waiting: the supervisor handles signals in turn, so a USR1 that arrives
      // after the last TERM proves that handling it killed nothing.
      await roundTrip(bundle, out, 'SIGUSR1', 1);
      expect(processState(child)).not.toMatch(/^Z/);
      expect(occurrences(out.text, 'GOT SIGTERM')).toBe(3);
      expect(occurrences(err.text, 'sending SIGKILL')).toBe(0);
      process.kill(child, 'SIGKILL');
      expect((await proc).exitCode).toBe(137);
    });

    it('a child ignoring TERM under a storm of TERMs: one grace timer from the first, one SIGKILL, every TERM forwarded once', async () => {
      const graceMs = 600;
      const { proc, out, err, bundle } = await startSignals('record', pid1, { AGENT_STOP_GRACE: `${graceMs}ms` });
      let exited = false;
      void proc.then(() => (exited = true));
      // TERM after TERM, each one acknowledged by the child before the next: a timer restarted by
      // each TERM would never fire and the bundle would never exit (the test would time out).
      let sent = 0;
      while (!exited) {
        try {
          process.kill(bundle, 'SIGTERM');
        } catch {
          break; // the bundle is gone
        }
        sent++;
        await Promise.race([out.waitForText('GOT SIGTERM\n', sent, 5_000), proc]).catch(() => undefined);
        if (occurrences(out.text, 'GOT SIGTERM') < sent) break; // sent after the child died
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      const result = await proc;
      expect(result.exitCode).toBe(137);
      const received = occurrences(out.text, 'GOT SIGTERM');
      expect(received).toBeGreaterThanOrEqual(sent - 1); // the last may have met the SIGKILL first
      expect(received).toBeGreaterThan(5);
      const logs = err.logs;
      expect(logs.filter((line) => String(line.msg).includes('sending SIGKILL'))).toHaveLength(1);
      // One log line per TERM the bundle handled; at most the last one found the child gone.
      const forwarded = logs.filter((line) => line.msg === 'forwarding signal to the child' && line.signal === 'SIGTERM').length;
      expect(forwarded).toBeGreaterThanOrEqual(received);
      expect(forwarded).toBeLessThanOrEqual(sent);
      // Counted from the first TERM: the SIGKILL comes no sooner than the grace after it (the
      // bundle's own clock for both; a lower bound only, which no scheduling delay can break).
      const first = logs.find((line) => line.msg === 'forwarding signal to the child')!;
      const kill = logs.find((line) => String(line.msg).includes('sending SIGKILL'))!;
      expect(Date.parse(String(kill.time)) - Date.parse(String(first.time))).toBeGreaterThanOrEqual(graceMs - 50);
    });

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

    it('leaves no zombie of its own: the processes it starts are reaped as they end', async () => {
      // smoke-test starts `<cli> --version`; a CLI that hangs with a grandchild in its process
      // group is killed as a group after AGENT_SMOKE_TIMEOUT. The probe then ends with nothing
      // of its own left behind: no zombie, no surviving grandchild.
      const slot = makeSlot();
      const bin = path.join(slot.root, 'bin');
      fs.mkdirSync(bin);
      fs.copyFileSync(path.join(FIXTURES, 'cli', 'hang.sh'), path.join(bin, 'codex'));
      fs.chmodSync(path.join(bin, 'codex'), 0o755);
      const pidFile = path.join(slot.root, 'grandchild.pid');
      fs.writeFileSync(pidFile, '');
      fs.chmodSync(pidFile, 0o666);
      const proc = startBundle(['smoke-test'], {
        env: { ...slot.env, PATH: `${bin}:/usr/bin:/bin`, AGENT_SMOKE_TIMEOUT: '1s', HANG_PIDFILE: pidFile },
        wrap: pid1 ? PID_NAMESPACE : undefined,
      });
      const bundle = pid1 ? await until(() => childrenOf(proc.pid!)[0]) : proc.pid!;
      // While the CLI hangs: the bundle's children are alive, none a zombie.
      const cli = await until(() => childrenOf(bundle)[0]);
      await until(() => fs.readFileSync(pidFile, 'utf8').trim() !== '');
      expect(processState(cli)).not.toMatch(/^Z/);
      const result = await proc;
      expect(result.exitCode).toBe(64);
      expect(processState(cli)).toBeUndefined();
      if (!pid1) {
        // As a plain child the grandchild would outlive a probe that killed only its child.
        const grandchild = Number(fs.readFileSync(pidFile, 'utf8').trim());
        await until(() => processState(grandchild) === undefined);
      }
    });
  });
}
