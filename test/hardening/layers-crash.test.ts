// Crash consistency of layering: the boot is SIGKILLed at random moments while it applies the
// layers (hundreds of files, so the apply lasts long enough to be hit), switching the slot between
// two versions of both layers. After every kill:
//   - every layer file in the config dir is exactly the old version's or the new one's (content,
//     mode and owner together), never partial, and never missing when both versions have it;
//   - the files no layer provides (the CLI's state) are untouched;
//   - nothing else is there but the manifest and our temp files (`.agent-entrypoint.tmp.*`);
// and the next boot converges: the config dir then equals the target version as a boot that was
// never interrupted leaves it (compared with a reference slot), the manifest records the same
// files and directories, and the smoke-test's artifact scan does not take a leftover temp file
// for credentials.
//
// Temp files a killed run left behind are young, and a boot removes only those older than five
// minutes (a sidecar may be writing a young one right now). So the convergence check accepts
// young temps, and directories holding nothing but them. Every five runs, time "passes": the
// layers are applied once more with a clock five minutes ahead (the apply function in-process,
// the one place a clock is injected), and then the config dir must equal the reference exactly,
// with no temp file and no directory they kept.
//
// The apply stages every changed file as a temp file, flushes them all, then renames them all:
// most kills land while staging (the config dir is still entirely old, with temp files beside
// it), fewer in the rename loop (a mix of old and new files), and some after it.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { applyPlan } from '../../src/layers/apply.js';
import { planLayers } from '../../src/layers/plan.js';
import { TEMP_PREFIX } from '../../src/fs/atomic.js';
import { runBundle, startBundle } from '../helpers/bundle.js';
import { writeConfigMap } from '../helpers/kubelet.js';
import { fixtureCli, jsonLine, pathWith } from '../helpers/probes.js';
import { AGENT_UID, makeSlot, type Slot } from '../helpers/slot.js';
import { removeTempDirs, snapshot, tempDir, writeTree, type EntrySnapshot } from '../helpers/tree.js';

afterAll(removeTempDirs);

const RUNS = 200;
/** Runs between two applies with the clock five minutes ahead. */
const AGE_EVERY = 5;
/** Files per version in the defaults layer (plus the overlay's and the merged ones). */
const FILES = 150;
const MANIFEST = '.agent-entrypoint-manifest.json';

type Version = 'A' | 'B';
interface Layers {
  defaults: string;
  overlay: string;
}

/** Content that names its version and file, of a length that differs between versions. */
function body(version: Version, rel: string, i: number): string {
  return `${version} ${rel}\n${'.'.repeat((version === 'A' ? 40 : 900) + ((i * 37) % 200))}\n`;
}

/** Both layers of one version: most files in both versions, some only in one, some directories only in one. */
function makeVersion(version: Version): Layers {
  const root = tempDir(`ae-layers-${version}-`);
  const defaults = path.join(root, 'defaults');
  const overlay = path.join(root, 'overlay');
  const files: Record<string, string> = {};
  for (let i = 0; i < FILES; i++) {
    const rel = `skills/s${i % 12}/f${i}.md`;
    files[rel] = body(version, rel, i);
  }
  for (let i = 0; i < 20; i++) files[`only${version}/deep/o${i}.md`] = body(version, `only${version}/${i}`, i);
  files['settings.json'] = JSON.stringify({ permissions: { defaultMode: 'bypassPermissions' }, version, list: [version, version] });
  writeTree(defaults, files);
  writeTree(defaults, { 'bin/tool': `#!/bin/sh\necho ${version}\n` }, version === 'A' ? 0o644 : 0o755);
  writeConfigMap(overlay, {
    'settings.json': JSON.stringify({ model: version === 'A' ? 'sonnet' : 'opus' }),
    'CLAUDE.md': body(version, 'CLAUDE.md', 1),
    [`commands/${version}.md`]: body(version, 'command', 2),
    'commands/shared.md': body(version, 'shared', 3),
  });
  return { defaults, overlay };
}

const envFor = (slot: Slot, layers: Layers) => ({ ...slot.env, AGENT_DEFAULTS_DIR: layers.defaults, AGENT_OVERLAY_DIR: layers.overlay, LOG_LEVEL: 'info' });

/** A file or directory as the comparison sees it: content (files), mode and owner; no times, no inodes. */
interface Entry {
  type: EntrySnapshot['type'];
  mode: number;
  uid: number;
  content?: string;
}

function entries(dir: string): Map<string, Entry> {
  return new Map(
    Object.entries(snapshot(dir)).map(([rel, entry]) => [rel, { type: entry.type, mode: entry.mode, uid: entry.uid, ...(entry.content === undefined ? {} : { content: entry.content }) }]),
  );
}

const isTemp = (rel: string) => path.basename(rel).startsWith(TEMP_PREFIX);

interface Manifest {
  files: Record<string, unknown>;
  dirs: string[];
}
const manifestOf = (configDir: string): Manifest => JSON.parse(fs.readFileSync(path.join(configDir, MANIFEST), 'utf8')) as Manifest;

describe(`SIGKILL at random moments while the layers are applied (${RUNS} runs)`, () => {
  it('every file is old or new, never partial or lost; the next boot converges', async () => {
    const versions: Record<Version, Layers> = { A: makeVersion('A'), B: makeVersion('B') };
    const bin = fixtureCli('claude', 'version');

    // What an uninterrupted boot leaves, per version: the reference.
    const reference = makeSlot('claude');
    const expected = {} as Record<Version, { entries: Map<string, Entry>; manifest: Manifest }>;
    for (const version of ['A', 'B'] as const) {
      const boot = await runBundle(['true'], { env: envFor(reference, versions[version]) });
      expect(boot.exitCode, boot.stderr).toBe(0);
      const all = entries(reference.configDir);
      all.delete(MANIFEST);
      expect([...all.keys()].filter(isTemp)).toEqual([]);
      expect(all.size).toBeGreaterThan(FILES);
      expect(all.get(`only${version}`)?.type).toBe('dir');
      expect(all.get(version === 'A' ? 'onlyB' : 'onlyA')).toBeUndefined();
      expect(all.get('bin/tool')?.mode).toBe(version === 'A' ? 0o644 : 0o755);
      expected[version] = { entries: all, manifest: manifestOf(reference.configDir) };
    }

    // The slot under test, booted once into A, with the CLI's own state beside the layers' files.
    const slot = makeSlot('claude');
    const first = await runBundle(['true'], { env: envFor(slot, versions.A) });
    expect(first.exitCode, first.stderr).toBe(0);
    const cliState = { '.claude.json': '{"numStartups":3}\n', 'history.jsonl': `${JSON.stringify({ display: 'fix the build' })}\n`, 'projects/-work/session.jsonl': '{"type":"user"}\n', 'todos/t.json': '[]\n' };
    writeTree(slot.configDir, cliState, 0o600);
    for (const rel of [...Object.keys(cliState), 'projects', 'projects/-work', 'todos']) fs.lchownSync(path.join(slot.configDir, rel), AGENT_UID, AGENT_UID);
    const stateBefore = new Map([...entries(slot.configDir)].filter(([rel]) => rel in cliState || ['projects', 'projects/-work', 'todos'].includes(rel)));

    // How long a boot takes to reach its apply and to finish it (medians of unkilled A<->B boots).
    const toApply: number[] = [];
    const toDone: number[] = [];
    for (let i = 0; i < 6; i++) {
      const version: Version = i % 2 === 0 ? 'B' : 'A';
      const start = performance.now();
      const proc = startBundle(['true'], { env: envFor(slot, versions[version]) });
      let seen = '';
      proc.stderr?.on('data', (chunk: Buffer) => {
        seen += chunk.toString();
        if (toApply.length === i && seen.includes('"directories done"')) toApply.push(performance.now() - start);
      });
      expect((await proc).exitCode).toBe(0);
      toDone.push(performance.now() - start);
    }
    const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
    const applyStart = median(toApply);
    const applyEnd = median(toDone);

    /** Where the kills landed (all files still old, a mix, all new) and what was checked. */
    const tally = { allOld: 0, mixed: 0, allNew: 0, exitedBeforeKill: 0, killedWhileStaging: 0, tempsLeft: 0, filesChecked: 0, scans: 0, agedSweeps: 0 };
    const owner = { uid: AGENT_UID, gid: AGENT_UID };
    /** Applies the layers as a boot five minutes later would: old temp files go, and what they kept. */
    const fiveMinutesLater = async (target: Version, run: number) => {
      const plan = planLayers({ agent: 'claude', defaultsDir: versions[target].defaults, overlayDir: versions[target].overlay });
      await applyPlan(plan, { configDir: slot.configDir, owner, now: Date.now() + 5 * 60_000 + 1_000 });
      const swept = entries(slot.configDir);
      swept.delete(MANIFEST);
      for (const rel of stateBefore.keys()) swept.delete(rel);
      expect(swept, `run ${run}: leftovers remain after they aged`).toEqual(expected[target].entries);
      expect([...manifestOf(slot.configDir).dirs].sort()).toEqual([...expected[target].manifest.dirs].sort());
      tally.agedSweeps++;
    };

    const countTemps = () => [...entries(slot.configDir).keys()].filter(isTemp).length;
    let tempsBefore = countTemps();
    let version: Version = 'A';
    for (let run = 0; run < RUNS; run++) {
      const old = version;
      version = version === 'A' ? 'B' : 'A';
      const env = envFor(slot, versions[version]);

      // Mostly aimed at the apply, otherwise anywhere from the start to a little past the usual end.
      const delay = Math.random() < 0.6 ? applyStart + Math.random() * (applyEnd - applyStart) : Math.random() * applyEnd * 1.4;
      const proc = startBundle(['true'], { env });
      const timer = setTimeout(() => proc.kill('SIGKILL'), delay);
      const result = await proc;
      clearTimeout(timer);
      if (result.signal !== 'SIGKILL') {
        expect(result.exitCode, String(result.stderr)).toBe(0);
        tally.exitedBeforeKill++;
      }

      // Every entry is the old version's or the new one's.
      const now = entries(slot.configDir);
      const tempsNow = [...now.keys()].filter(isTemp).length;
      if (tempsNow > tempsBefore) tally.killedWhileStaging++;
      tally.tempsLeft += tempsNow - tempsBefore;
      const from = expected[old].entries;
      const to = expected[version].entries;
      let sawOld = false;
      let sawNew = false;
      for (const [rel, entry] of now) {
        if (rel === MANIFEST || isTemp(rel) || stateBefore.has(rel)) continue;
        const before = from.get(rel);
        const after = to.get(rel);
        // A directory is created by root and then given to the agent: a kill in between leaves it
        // root's until the next boot repairs it (checked below). Files never have that window:
        // they get their owner before the rename makes them visible.
        const shown = entry.type === 'dir' && entry.uid === 0 ? { ...entry, uid: AGENT_UID } : entry;
        const matchesOld = before !== undefined && JSON.stringify(before) === JSON.stringify(shown);
        const matchesNew = after !== undefined && JSON.stringify(after) === JSON.stringify(shown);
        expect(matchesOld || matchesNew, `run ${run} (${old} -> ${version}): ${rel} is neither version (${JSON.stringify(entry).slice(0, 120)})`).toBe(true);
        if (entry.type === 'file') {
          tally.filesChecked++;
          if (matchesOld && !matchesNew) sawOld = true;
          if (matchesNew && !matchesOld) sawNew = true;
        }
      }
      for (const [rel, entry] of from) {
        if (entry.type === 'file' && to.has(rel)) expect(now.has(rel), `run ${run}: ${rel} is missing although both versions have it`).toBe(true);
      }
      for (const [rel, entry] of stateBefore) expect(now.get(rel), `run ${run}: the CLI's ${rel} changed`).toEqual(entry);
      if (sawOld && sawNew) tally.mixed++;
      else if (sawNew) tally.allNew++;
      else tally.allOld++;

      // The next boot converges to the new version.
      const again = await runBundle(['true'], { env });
      expect(again.exitCode, again.stderr).toBe(0);
      const converged = entries(slot.configDir);
      const temps = [...converged.keys()].filter(isTemp);
      for (const rel of temps) expect(converged.get(rel)?.type, rel).toBe('file');
      const tempDirs = new Set(temps.map((rel) => path.dirname(rel)));
      const comparable = new Map(
        [...converged].filter(([rel, entry]) => {
          if (rel === MANIFEST || isTemp(rel) || stateBefore.has(rel)) return false;
          // A directory left only because temp files of a killed run are still in it.
          return !(entry.type === 'dir' && !to.has(rel) && [...tempDirs].some((dir) => dir === rel || dir.startsWith(`${rel}/`)));
        }),
      );
      expect(comparable, `run ${run}: the config dir did not converge to ${version}`).toEqual(to);
      const manifest = manifestOf(slot.configDir);
      expect(Object.keys(manifest.files).sort(), `run ${run}: manifest files`).toEqual(Object.keys(expected[version].manifest.files).sort());
      const trackedTemps = manifest.dirs.filter((dir) => !to.has(dir));
      expect(manifest.dirs.filter((dir) => to.has(dir)).sort(), `run ${run}: manifest directories`).toEqual([...expected[version].manifest.dirs].sort());
      for (const dir of trackedTemps) expect(tempDirs.has(dir) || [...tempDirs].some((temp) => temp.startsWith(`${dir}/`)), `run ${run}: ${dir} tracked but gone`).toBe(true);

      // Leftover temp files never pass for credentials.
      if (temps.length > 0 && tally.scans < 10) {
        tally.scans++;
        const probe = await runBundle(['smoke-test'], { env: { ...env, PATH: pathWith(bin) } });
        expect(probe.exitCode, probe.stderr).toBe(65);
        expect(jsonLine(probe)).toMatchObject({ status: 'creds-missing', creds_reason: 'absent' });
      }

      // Once the leftovers are old enough, an apply removes them and the directories they kept.
      if (run % AGE_EVERY === AGE_EVERY - 1 || run === RUNS - 1) await fiveMinutesLater(version, run);
      tempsBefore = countTemps();
    }

    console.log(`layer crash runs: ${JSON.stringify({ runs: RUNS, ...tally, applyStartMs: Math.round(applyStart), applyEndMs: Math.round(applyEnd) })}`);
    // The kills did land inside the apply: while staging, in the rename loop, and after it.
    expect(tally.killedWhileStaging, 'too few kills landed inside the apply').toBeGreaterThan(RUNS * 0.4);
    expect(tally.mixed).toBeGreaterThan(0);
    expect(tally.allNew).toBeGreaterThan(0);
  });
});
