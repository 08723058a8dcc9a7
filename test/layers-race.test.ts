// Boots and reloads racing kubelet: the ConfigMap is swapped continuously (AtomicWriter steps, as
// test/helpers/kubelet.ts does them) while boots plan and apply it. Every boot must succeed and
// apply one whole version of the ConfigMap, never a mix of two.
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runBundle } from './helpers/bundle.js';
import { writeConfigMap } from './helpers/kubelet.js';
import { makeSlot } from './helpers/slot.js';
import { removeTempDirs } from './helpers/tree.js';

afterEach(removeTempDirs);

const KEYS = 60;
const BOOTS = 30;

function payload(version: number): Record<string, string> {
  const files: Record<string, string> = {};
  for (let i = 0; i < KEYS; i++) files[`key${i}.md`] = `version ${version}\n`;
  // A key only every other version has: its link dangles between kubelet's swap and its cleanup.
  if (version % 2 === 0) files['even.md'] = `version ${version}\n`;
  return files;
}

describe('boots while kubelet keeps swapping the ConfigMap', () => {
  it(`${BOOTS} boots: each succeeds with one whole version`, async () => {
    const slot = makeSlot();
    let version = 0;
    writeConfigMap(slot.overlay, payload(version));
    let swapping = true;
    // A swap every 150-450 ms, at a random moment of a boot (which takes about 100-200 ms): often
    // one during a boot, never a burst (kubelet swaps once per sync, a minute or so apart).
    const swapper = (async () => {
      while (swapping) {
        await new Promise((resolve) => setTimeout(resolve, 150 + Math.random() * 300));
        writeConfigMap(slot.overlay, payload(++version));
      }
    })();
    const failures: string[] = [];
    try {
      for (let boot = 0; boot < BOOTS; boot++) {
        const result = await runBundle(['true'], { env: slot.env });
        if (result.exitCode !== 0) {
          failures.push(`boot ${boot}: exit ${result.exitCode}: ${result.plain.join(' ') || result.stderr.slice(-300)}`);
          continue;
        }
        const seen = new Set(fs.readdirSync(slot.configDir).filter((name) => name.startsWith('key')).map((name) => fs.readFileSync(path.join(slot.configDir, name), 'utf8')));
        if (seen.size !== 1) failures.push(`boot ${boot}: a mix of versions ${[...seen].map((text) => text.trim()).join(', ')}`);
      }
    } finally {
      swapping = false;
      await swapper;
    }
    expect(failures).toEqual([]);
  });
});
