// What an interrupted apply leaves for the next one (the directories it created and the temp files
// it staged), and what a ConfigMap swap in the middle of a plan must not do. The crash test
// (test/hardening/layers-crash.test.ts) and the soak found these by killing the bundle and by
// swapping under it; here each state is made deterministically with the layer functions themselves.
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { TEMP_PREFIX } from '../../src/fs/atomic.js';
import { applyPlan, LayerChangedError } from '../../src/layers/apply.js';
import { planLayers } from '../../src/layers/plan.js';
import { writeConfigMap } from '../helpers/kubelet.js';
import { removeTempDirs, tempDir, writeTree } from '../helpers/tree.js';

afterEach(removeTempDirs);

const owner = { uid: 10001, gid: 10001 };

function layers() {
  const root = tempDir();
  const one = path.join(root, 'one');
  const two = path.join(root, 'two');
  writeTree(one, { 'config.toml': 'model = "a"\n' });
  writeTree(two, { 'config.toml': 'model = "b"\n', 'skills/review/SKILL.md': '# review\n' });
  const configDir = path.join(root, 'config');
  fs.mkdirSync(configDir);
  const plan = (dir: string) => planLayers({ agent: 'codex', defaultsDir: dir, overlayDir: path.join(root, 'no-overlay') });
  return { one, two, configDir, plan };
}

describe('an interrupted apply', () => {
  it('directories it created before stopping are still removed once the layers no longer provide them', async () => {
    const { one, two, configDir, plan } = layers();
    await applyPlan(plan(one), { configDir, owner });
    // Plan the second version, then change a source under it: the apply creates skills/review,
    // then stops at the changed file, before it records anything at the end (as a kill would).
    const second = plan(two);
    fs.appendFileSync(path.join(two, 'skills/review/SKILL.md'), 'changed\n');
    await expect(applyPlan(second, { configDir, owner })).rejects.toBeInstanceOf(LayerChangedError);
    expect(fs.existsSync(path.join(configDir, 'skills/review'))).toBe(true);
    // Back to the first version: nothing of the second may stay.
    await applyPlan(plan(one), { configDir, owner });
    expect(fs.readdirSync(configDir).sort()).toEqual(['.agent-entrypoint-manifest.json', 'config.toml']);
  });

  it('old temp files in a directory the layers no longer provide are swept, and the directory with them', async () => {
    const { one, two, configDir, plan } = layers();
    await applyPlan(plan(two), { configDir, owner });
    const leftover = path.join(configDir, 'skills/review', `${TEMP_PREFIX}4242.0.leftover`);
    fs.writeFileSync(leftover, '# half a review');
    // A young temp file may belong to a write in progress: kept, and its directory with it.
    await applyPlan(plan(one), { configDir, owner });
    expect(fs.existsSync(leftover)).toBe(true);
    // Five minutes later it is a killed run's leftover.
    await applyPlan(plan(one), { configDir, owner, now: Date.now() + 5 * 60_000 + 1_000 });
    expect(fs.readdirSync(configDir).sort()).toEqual(['.agent-entrypoint-manifest.json', 'config.toml']);
  });
});

describe('a ConfigMap swap while the layers are read', () => {
  // Kubelet's steps (test/helpers/kubelet.ts) land at chosen moments of the plan: the plan's own
  // reads are intercepted to run a swap in between (a spy on node:fs, the only way to place it
  // deterministically; the files and the swap are real).
  afterEach(() => {
    vi.restoreAllMocks();
  });

  function overlay(keys: Record<string, string>) {
    const root = tempDir();
    const dir = path.join(root, 'overlay');
    writeConfigMap(dir, keys);
    const plan = () => planLayers({ agent: 'codex', defaultsDir: path.join(root, 'no-defaults'), overlayDir: dir });
    return { dir, plan };
  }

  it('a payload directory removed between listing and reading is a change, not a bad layer; planned again, one version', () => {
    const { dir, plan } = overlay({ 'config.toml': 'model = "a"\n', 'hooks.json': '{"v":1}\n' });
    const read = fs.readFileSync;
    let swapped = false;
    vi.spyOn(fs, 'readFileSync').mockImplementation(((file: fs.PathOrFileDescriptor, options?: unknown) => {
      if (!swapped && String(file).endsWith('config.toml')) {
        swapped = true;
        writeConfigMap(dir, { 'config.toml': 'model = "b"\n', 'hooks.json': '{"v":2}\n' });
      }
      return read(file, options as never);
    }) as typeof fs.readFileSync);
    expect(() => plan()).toThrow(LayerChangedError);
    const again = plan();
    expect(again.files.map((file) => file.content?.toString())).toEqual(['model = "b"\n', '{"v":2}\n']);
  });

  it('a swap in the middle of the listing is seen, so a plan never mixes two versions', () => {
    const keys = (version: number) => Object.fromEntries(Array.from({ length: 6 }, (_, i) => [`key${i}.md`, `version ${version}\n`]));
    const { dir, plan } = overlay(keys(1));
    const realpath = fs.realpathSync;
    let calls = 0;
    vi.spyOn(fs, 'realpathSync').mockImplementation(((file: fs.PathLike, options?: unknown) => {
      // The swap lands after three keys were resolved; kubelet has not removed the old payload yet.
      if (++calls === 4) writeConfigMap(dir, keys(2), 0o644, { keepOld: true });
      return realpath(file, options as never);
    }) as typeof fs.realpathSync);
    expect(() => plan()).toThrow(LayerChangedError);
    vi.restoreAllMocks();
    const sources = new Set(plan().files.map((file) => fs.readFileSync(file.sources[0]!.real, 'utf8')));
    expect([...sources]).toEqual(['version 2\n']);
  });

  it("a key's link left dangling between kubelet's swap and its clean-up is skipped, not refused", () => {
    const { dir, plan } = overlay({ 'config.toml': 'model = "a"\n', 'gone.md': 'old\n' });
    writeConfigMap(dir, { 'config.toml': 'model = "b"\n' });
    // The state between the ..data swap and the removal of the links of keys that left the payload.
    fs.symlinkSync('..data/gone.md', path.join(dir, 'gone.md'));
    expect(plan().files.map((file) => file.rel)).toEqual(['config.toml']);
  });
});
