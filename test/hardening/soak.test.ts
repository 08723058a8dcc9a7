// Soak: one run-mode supervisor with a fixture child, driven through thousands of token refreshes
// and hundreds of ConfigMap swaps, while its memory and file descriptors are watched from /proc.
//
// The clock is the real one, run fast through the program's own settings, with no test hook in it:
// tokens that live one hour against a four-hour margin are due at every check, and
// AGENT_REFRESH_INTERVAL=2ms caps the wait between checks, so the schedule that normally fires
// every few hours fires as fast as a refresh completes (a redemption against a real token server on
// 127.0.0.1, a locked atomic write, the status file). The overlay is swapped as kubelet does it,
// each swap waited for, with a 10 ms debounce.
//
// Checked: every check's outcome is `refreshed` and every redemption rotated a live token (no
// reuse, no loss; the file ends with the live token); every swap is reloaded once and the config
// dir then holds exactly that swap's merge; no warning or error is logged; and from the end of the
// warm-up (half the run) to the end, the memory and descriptors the process keeps do not grow.
//
// Memory, two ways. What the program keeps: V8's own count of the live heap, from a heap snapshot
// (taken after a full collection, on SIGPROF via --heapsnapshot-signal), at the end of the warm-up
// and at the end; it may not grow by more than the objects of requests in flight. Before the
// registry of secrets to mask was bounded it grew by about 3 MB over the last 3,000 refreshes. And
// the resident set from /proc (VmRSS), with V8's young generation capped at 1 MB
// (--max-semi-space-size=1, a GC tuning flag that changes nothing the program does): at this pace,
// hundreds of refreshes a second, V8 otherwise sizes its heap up to about 200 MB of garbage waiting
// for collection. Capped, the resident set still moves in steps of a few MB as V8 adds pages; it may
// grow by less than RSS_BOUND_KB. Descriptors: those present at every one of twenty looks (a
// refresh in flight holds a temp file or a connection for a moment) must be the same ones.

import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parse as parseToml } from 'smol-toml';
import { FIXTURES, NODE, startBundle } from '../helpers/bundle.js';
import { writeConfigMap } from '../helpers/kubelet.js';
import { until } from '../helpers/process.js';
import { AGENT_UID, readJson, refreshSlot } from '../helpers/refresh.js';
import { Tail } from '../helpers/tail.js';
import { removeTempDirs, tempDir, writeTree } from '../helpers/tree.js';
import { startTokenServer } from '../helpers/token-server.js';

afterAll(removeTempDirs);

const REFRESHES = 6_000;
const SWAPS = 300;
/** Cycles before the baseline sample: V8 has sized its heap for this pace by then (half the run). */
const WARM_UP = { refreshes: 3_000, swaps: 30 };
/** How much the live heap may grow after the warm-up (objects of the requests in flight at the moment). */
const HEAP_BOUND_KB = 1024;
/** How much the resident set may grow after the warm-up (V8 still adds old-space pages in steps). */
const RSS_BOUND_KB = 32 * 1024;
const HOUR = 3_600_000;

/**
 * What the process keeps, as V8 counts it: a heap snapshot (taken after a full collection, on
 * SIGPROF via --heapsnapshot-signal) summed over every object. Resolves with the bytes.
 */
async function liveHeapBytes(pid: number, dir: string): Promise<number> {
  const before = new Set(fs.readdirSync(dir));
  process.kill(pid, 'SIGPROF');
  const file = await until(() => fs.readdirSync(dir).find((name) => name.endsWith('.heapsnapshot') && !before.has(name)), 60_000, 100);
  const snapshot = await until(() => {
    try {
      return JSON.parse(fs.readFileSync(path.join(dir, file), 'utf8')) as { snapshot: { meta: { node_fields: string[] } }; nodes: number[] };
    } catch {
      return undefined; // still being written
    }
  }, 60_000, 100);
  fs.rmSync(path.join(dir, file));
  const fields = snapshot.snapshot.meta.node_fields;
  const size = fields.indexOf('self_size');
  let total = 0;
  for (let i = size; i < snapshot.nodes.length; i += fields.length) total += snapshot.nodes[i]!;
  return total;
}

function rssKb(pid: number): number {
  const line = fs.readFileSync(`/proc/${pid}/status`, 'utf8').split('\n').find((entry) => entry.startsWith('VmRSS:'))!;
  return Number(line.split(/\s+/)[1]);
}

function fds(pid: number): string[] {
  const dir = `/proc/${pid}/fd`;
  return fs.readdirSync(dir).map((fd) => {
    try {
      return fs.readlinkSync(path.join(dir, fd));
    } catch {
      return '(closed)';
    }
  });
}

/** Descriptors by kind (socket, anon_inode:inotify, a file path), for a readable diff. */
function fdKinds(list: string[]): Record<string, number> {
  const kinds: Record<string, number> = {};
  for (const target of list) {
    const kind = target.startsWith('socket:') ? 'socket' : target.startsWith('pipe:') ? 'pipe' : target;
    kinds[kind] = (kinds[kind] ?? 0) + 1;
  }
  return kinds;
}

/**
 * The descriptors the process keeps: per kind, the fewest seen over several looks. A refresh is in
 * flight at almost any moment here (a temp file, a connection being opened), and those come and go;
 * a leaked descriptor is there at every look.
 */
async function keptFds(pid: number): Promise<Record<string, number>> {
  let kept: Record<string, number> | undefined;
  for (let look = 0; look < 20; look++) {
    const kinds = fdKinds(fds(pid));
    kept = kept === undefined ? kinds : Object.fromEntries(Object.entries(kept).map(([kind, count]) => [kind, Math.min(count, kinds[kind] ?? 0)]));
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  return Object.fromEntries(Object.entries(kept!).filter(([, count]) => count > 0));
}

describe('soak: the supervisor under thousands of refreshes and hundreds of overlay swaps', () => {
  it(`${REFRESHES} refreshes and ${SWAPS} swaps: every outcome right, no memory or descriptor growth`, async () => {
    const server = await startTokenServer({ lifetimeMs: HOUR });
    try {
      const slot = refreshSlot('codex', server, server.issueCodex({ expiresAtMs: Date.now() + HOUR }), {
        AGENT_REFRESH_INTERVAL: '2ms',
        AGENT_RELOAD: 'on',
        AGENT_RELOAD_DEBOUNCE: '10ms',
        AGENT_STOP_GRACE: '5s',
      });
      writeTree(slot.defaults, { 'config.toml': 'sandbox_mode = "danger-full-access"\n' });
      writeConfigMap(slot.overlay, { 'config.toml': 'model = "m0"\n', 'AGENTS.md': 'swap 0\n' });

      const snapshots = tempDir('ae-heap-');
      fs.chownSync(snapshots, AGENT_UID, AGENT_UID);
      const proc = startBundle([NODE, path.join(FIXTURES, 'signals.mjs'), 'graceful'], {
        env: slot.env,
        timeout: 600_000,
        wrap: ['sh', '-c', `exec "$0" --max-semi-space-size=1 --heapsnapshot-signal=SIGPROF --diagnostic-dir=${snapshots} "$@"`],
      });
      const out = new Tail(proc.stdout);
      const err = new Tail(proc.stderr);
      await out.waitForText('READY');
      await err.waitForMessage('watching ');
      const pid = proc.pid!;

      const refreshed = () => err.logs.filter((line) => line.step === 'refresh' && typeof line.outcome === 'string');
      const reloads = () => err.messages('config reloaded').length;

      // Swaps, one after another, each waited for and checked, while the refreshes run; the
      // resident set is sampled as they go, and the baseline taken once the warm-up is over.
      const swapped: Array<{ swap: number; failures: string[] }> = [];
      const samples: Array<{ refreshes: number; rssKb: number }> = [];
      const sample = () => {
        const point = { refreshes: refreshed().length, rssKb: rssKb(pid) };
        samples.push(point);
        return point;
      };
      let baseline: { rssKb: number; heap: number; fds: Record<string, number> } | undefined;
      const warm = async () => {
        if (baseline || swapped.length < WARM_UP.swaps || refreshed().length < WARM_UP.refreshes) return;
        // The snapshot first: taking one costs the process memory of its own, which must not count.
        const heap = await liveHeapBytes(pid, snapshots);
        baseline = { heap, rssKb: sample().rssKb, fds: await keptFds(pid) };
      };

      for (let swap = 1; swap <= SWAPS; swap++) {
        const before = reloads();
        writeConfigMap(slot.overlay, { 'config.toml': `model = "m${swap}"\n`, 'AGENTS.md': `swap ${swap}\n`, ...(swap % 2 === 0 ? { 'prompts/even.md': `even ${swap}\n` } : {}) });
        await err.waitForMessage('config reloaded', before + 1, 30_000);
        const failures: string[] = [];
        const config = parseToml(fs.readFileSync(path.join(slot.configDir, 'config.toml'), 'utf8'));
        if (config.model !== `m${swap}` || config.sandbox_mode !== 'danger-full-access') failures.push(`config.toml ${JSON.stringify(config)}`);
        if (fs.readFileSync(path.join(slot.configDir, 'AGENTS.md'), 'utf8') !== `swap ${swap}\n`) failures.push('AGENTS.md');
        if (fs.existsSync(path.join(slot.configDir, 'prompts/even.md')) !== (swap % 2 === 0)) failures.push('prompts/even.md');
        swapped.push({ swap, failures });
        if (swap % 25 === 0) sample();
        await warm();
      }
      while (refreshed().length < REFRESHES) {
        await new Promise((resolve) => setTimeout(resolve, 500));
        sample();
        await warm();
      }
      const end = { rssKb: sample().rssKb, heap: await liveHeapBytes(pid, snapshots), fds: await keptFds(pid) };
      expect(baseline, 'the warm-up never ended').toBeDefined();

      proc.kill('SIGTERM');
      const result = await proc;
      expect(result.exitCode, err.text.slice(-2_000)).toBe(0);

      // Every check refreshed; every redemption rotated a live token, one per check.
      const checks = refreshed();
      const outcomes = new Map<string, number>();
      for (const line of checks) outcomes.set(String(line.outcome), (outcomes.get(String(line.outcome)) ?? 0) + 1);
      expect(Object.fromEntries(outcomes)).toEqual({ refreshed: checks.length });
      expect(server.redemptions.filter((redemption) => redemption.result !== 'rotated')).toEqual([]);
      expect(server.rotations()).toBe(checks.length);
      expect((readJson(slot.file).tokens as { refresh_token: string }).refresh_token).toBe(server.liveToken());
      expect(readJson(slot.statusFile).watchdog_last_outcome).toBe('refreshed');
      // Every swap reloaded once, with exactly its content.
      expect(swapped.filter((entry) => entry.failures.length > 0)).toEqual([]);
      expect(reloads()).toBe(SWAPS);
      expect(err.logs.filter((line) => line.level === 'error' || line.level === 'warn' || line.level === 'fatal')).toEqual([]);

      const growthKb = end.rssKb - baseline!.rssKb;
      const heapGrowthKb = Math.round((end.heap - baseline!.heap) / 1024);
      console.log(
        `soak: ${JSON.stringify({ refreshes: checks.length, swaps: SWAPS, heapBaselineKb: Math.round(baseline!.heap / 1024), heapGrowthKb, rssBaselineKb: baseline!.rssKb, rssEndKb: end.rssKb, rssGrowthKb: growthKb, rssMaxKb: Math.max(...samples.map((point) => point.rssKb)), fds: end.fds, samples: samples.map((point) => [point.refreshes, point.rssKb]) })}`,
      );
      expect(heapGrowthKb, 'the live heap grew').toBeLessThan(HEAP_BOUND_KB);
      expect(growthKb, JSON.stringify(samples)).toBeLessThan(RSS_BOUND_KB);
      expect(end.fds, 'descriptors kept at the end vs after the warm-up').toEqual(baseline!.fds);
    } finally {
      await server.close();
    }
  });
});
