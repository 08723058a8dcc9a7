// Supervisor benchmarks: how fast a signal reaches the child, and what an idle supervisor costs.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { BUNDLE, cpuMs, NODE, ROOT, percentile, slotEnv, tempDir } from '../lib.mjs';

const FIXTURE = path.join(ROOT, 'test/fixtures/signals.mjs');
const ROUND_TRIPS = 1000;
const IDLE_SECONDS = Number(process.env.BENCH_IDLE_SECONDS ?? 60);

/** Starts `args` with stdout piped; resolves once it printed READY. */
function start(file, args, env) {
  const proc = spawn(file, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  proc.stderr.resume();
  let buffer = '';
  const listeners = new Set();
  proc.stdout.on('data', (chunk) => {
    buffer += chunk;
    for (const listener of listeners) listener();
  });
  const waitFor = (text) =>
    new Promise((resolve) => {
      const check = () => {
        if (!buffer.includes(text)) return;
        listeners.delete(check);
        resolve(performance.now());
      };
      listeners.add(check);
      check();
    });
  return { proc, waitFor };
}

/** Sends SIGUSR1 to `target` and waits for the child's "ACK n", `ROUND_TRIPS` times; ms per trip. */
async function roundTrips(target, waitFor) {
  const samples = [];
  for (let i = 1; i <= ROUND_TRIPS; i++) {
    const sent = performance.now();
    process.kill(target, 'SIGUSR1');
    samples.push((await waitFor(`ACK ${i}\n`)) - sent);
  }
  return samples;
}

/** Stops a supervisor cleanly (it forwards SIGTERM, then SIGKILLs the child after its short grace). */
function stop(proc) {
  return new Promise((resolve) => {
    proc.on('close', resolve);
    proc.kill('SIGTERM');
  });
}

/** utime + stime (ms) and VmRSS (MiB) of a process, from /proc. */
function usage(pid) {
  const rss = fs.readFileSync(`/proc/${pid}/status`, 'utf8').match(/^VmRSS:\s+(\d+) kB/m);
  return { cpuMs: cpuMs(pid), rssMiB: Number(rss[1]) / 1024 };
}

const round = (value) => Math.round(value * 1000) / 1000;

export default [
  {
    name: `signal forwarding: ${ROUND_TRIPS} SIGUSR1 round trips through the supervisor vs straight to the child`,
    kind: 'figure',
    async measure() {
      const env = slotEnv(tempDir(), 'codex', { AGENT_STOP_GRACE: '100ms' });
      const direct = start(NODE, [FIXTURE, 'ack'], env);
      await direct.waitFor('READY');
      const straight = await roundTrips(direct.proc.pid, direct.waitFor);
      direct.proc.kill('SIGKILL'); // our own child, no supervisor in between

      const supervised = start(NODE, [BUNDLE, NODE, FIXTURE, 'ack'], env);
      await supervised.waitFor('READY');
      const relayed = await roundTrips(supervised.proc.pid, supervised.waitFor);
      await stop(supervised.proc);
      return {
        supervised_p50_ms: round(percentile(relayed, 50)),
        supervised_p99_ms: round(percentile(relayed, 99)),
        direct_p50_ms: round(percentile(straight, 50)),
        direct_p99_ms: round(percentile(straight, 99)),
        added_p50_ms: round(percentile(relayed, 50) - percentile(straight, 50)),
      };
    },
  },
  {
    name: `supervisor RSS and CPU over ${IDLE_SECONDS} idle seconds (run mode, default settings: refresh and reload on)`,
    kind: 'figure',
    async measure() {
      const root = tempDir();
      fs.mkdirSync(path.join(root, 'overlay'), { recursive: true });
      fs.writeFileSync(path.join(root, 'overlay/config.toml'), 'model = "o3"\n');
      const env = { ...slotEnv(root), AGENT_REFRESH: 'on', AGENT_RELOAD: 'on', AGENT_STOP_GRACE: '100ms' };
      const supervised = start(NODE, [BUNDLE, NODE, FIXTURE, 'record'], env);
      await supervised.waitFor('READY');
      await new Promise((resolve) => setTimeout(resolve, 2000)); // let the boot's work settle
      const before = usage(supervised.proc.pid);
      await new Promise((resolve) => setTimeout(resolve, IDLE_SECONDS * 1000));
      const after = usage(supervised.proc.pid);
      await stop(supervised.proc);
      return {
        cpu_ms: round(after.cpuMs - before.cpuMs),
        rss_start_mib: round(before.rssMiB),
        rss_end_mib: round(after.rssMiB),
      };
    },
  },
];
