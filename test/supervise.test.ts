// Supervision of the child through the real bundle: exit codes, signal relay, grace, PID 1.
import { constants } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { FIXTURES, NODE, PID_NAMESPACE, runBundle, startBundle } from './helpers/bundle.js';
import { childrenOf, until, waitForOutput } from './helpers/process.js';
import { makeSlot } from './helpers/slot.js';
import { removeTempDirs, writeTree } from './helpers/tree.js';

afterEach(removeTempDirs);

const signalsFixture = path.join(FIXTURES, 'signals.mjs');

/** Starts the bundle supervising the signals fixture; resolves once the child is READY. */
async function startSignals(mode: string, options: { pid1?: boolean; env?: Record<string, string> } = {}) {
  const slot = makeSlot();
  const proc = startBundle([NODE, signalsFixture, mode], {
    env: { ...slot.env, ...options.env },
    wrap: options.pid1 ? PID_NAMESPACE : undefined,
  });
  const output = waitForOutput(proc.stdout, 'READY');
  await output;
  // As PID 1 the bundle is the child of `unshare`; otherwise it is the process we started.
  const target = options.pid1 ? await until(() => childrenOf(proc.pid!)[0]) : proc.pid!;
  return { proc, target };
}

describe('exit codes pass through', () => {
  for (const code of [0, 1, 3, 255]) {
    it(`exit ${code}`, async () => {
      const slot = makeSlot();
      const result = await runBundle([NODE, path.join(FIXTURES, 'exit-with.mjs'), String(code)], { env: slot.env });
      expect(result.exitCode).toBe(code);
    });
  }

  it('logs the child start once, with the child pid apart from the logger own pid (no duplicate key)', async () => {
    const slot = makeSlot();
    const result = await runBundle(['true'], { env: slot.env });
    const raw = result.stderr.split('\n').find((line) => line.includes('"child started"'))!;
    expect(raw.match(/"pid":/g)).toHaveLength(1);
    expect(JSON.parse(raw)).toMatchObject({ childPid: expect.any(Number), command: 'true' });
  });

  it('127 with a clear message when the command does not exist', async () => {
    const slot = makeSlot();
    const result = await runBundle(['no-such-command-xyz'], { env: slot.env });
    expect(result.exitCode).toBe(127);
    expect(result.stderr).toContain('FATAL: no-such-command-xyz: command not found');
  });

  it('126 with a clear message when the command is not executable', async () => {
    const slot = makeSlot();
    writeTree(slot.root, { 'tool.sh': '#!/bin/sh\necho hi\n' }, 0o644);
    const result = await runBundle([path.join(slot.root, 'tool.sh')], { env: slot.env });
    expect(result.exitCode).toBe(126);
    expect(result.stderr).toContain('is not executable');
  });

  it('a command the layers put into the config dir is looked up after them, not refused before the boot', async () => {
    const slot = makeSlot();
    writeTree(slot.defaults, { 'bin/agent-tool': '#!/bin/sh\necho "tool ran"\n' }, 0o755);
    const result = await runBundle(['agent-tool'], { env: { ...slot.env, PATH: `${path.join(slot.home, '.codex', 'bin')}:/usr/bin:/bin` } });
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stdout.trim()).toBe('tool ran');
  });

  it('runs the agent CLI when given no command, and passes a first "-" argument to it', async () => {
    const slot = makeSlot();
    const bin = path.join(slot.root, 'bin');
    writeTree(bin, { codex: '#!/bin/sh\necho "codex args: $*"\n' }, 0o755);
    const env = { ...slot.env, PATH: `${bin}:/usr/bin:/bin` };
    expect((await runBundle([], { env })).stdout.trim()).toBe('codex args:');
    expect((await runBundle(['--model', 'x'], { env })).stdout.trim()).toBe('codex args: --model x');
    expect((await runBundle(['codex', 'exec', 'hello world'], { env })).stdout.trim()).toBe('codex args: exec hello world');
    expect((await runBundle(['sh', '-c', 'echo other'], { env })).stdout.trim()).toBe('other');
  });
});

for (const pid1 of [false, true]) {
  describe(pid1 ? 'signals, with the bundle as PID 1 in a PID namespace' : 'signals, with the bundle as a plain process', () => {
    it('relays HUP, INT, QUIT, TERM, USR1, USR2 and WINCH to the child', async () => {
      const { proc, target } = await startSignals('record', { pid1 });
      for (const signal of ['SIGHUP', 'SIGINT', 'SIGQUIT', 'SIGTERM', 'SIGUSR1', 'SIGUSR2', 'SIGWINCH'] as const) {
        const seen = waitForOutput(proc.stdout, `GOT ${signal}`);
        process.kill(target, signal);
        await seen;
      }
      // Teardown: SIGKILL the child first (an orphan would hold the output pipe open), then us.
      for (const child of childrenOf(target)) process.kill(child, 'SIGKILL');
      const result = await proc;
      expect(result.exitCode).toBe(137);
    });

    for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP', 'SIGQUIT', 'SIGUSR1', 'SIGUSR2'] as const) {
      it(`a child killed by ${signal} gives ${128 + constants.signals[signal]}`, async () => {
        const { proc, target } = await startSignals('die', { pid1, env: { AGENT_STOP_GRACE: '1h' } });
        process.kill(target, signal);
        const result = await proc; // returns promptly: a pending grace timer would hold it for an hour
        expect(result.exitCode).toBe(128 + constants.signals[signal]);
      });
    }

    it('kills a child that ignores SIGTERM after AGENT_STOP_GRACE, exit 137', async () => {
      const { proc, target } = await startSignals('ignore-term', { pid1, env: { AGENT_STOP_GRACE: '300ms' } });
      process.kill(target, 'SIGTERM');
      const result = await proc;
      expect(result.exitCode).toBe(137);
      expect(String(result.stderr)).toContain('sending SIGKILL');
    });
  });
}
