// What an interrupted apply leaves for the next one: the directories it created and the temp files
// it staged. The crash test (test/hardening/layers-crash.test.ts) finds these by killing the
// bundle; here each state is made deterministically with the apply function itself.
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { TEMP_PREFIX } from '../../src/fs/atomic.js';
import { applyPlan, LayerChangedError } from '../../src/layers/apply.js';
import { planLayers } from '../../src/layers/plan.js';
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
