// Boot path benchmarks (run mode): start-up overhead, layering, re-applying, ownership migration.
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { BUNDLE, NODE, runOk, slotEnv, stepMs, tempDir } from '../lib.mjs';

const chown = (args) => runOk('chown', args);

let fresh = 0;
/**
 * A new output directory for each sample, nothing deleted until the case ends: on a filesystem
 * mounted with `discard`, deleting the previous 100 MB sends TRIMs that land in whichever journal
 * commit comes next, which would be a timed sample's. The disk is synced (untimed) first.
 */
async function freshDir(root, name) {
  await runOk('sync', []);
  return path.join(root, `${name}-${fresh++}`);
}

/** Layering time as the bundle reports it: the plan step plus the apply step. */
function layeringMs(stderr) {
  return stepMs(stderr, 'plan').ms + stepMs(stderr, 'layers').ms;
}

function writeOverlay(dir, files, bytes) {
  for (let i = 0; i < files; i++) {
    const file = path.join(dir, `d${i % 40}`, `f${i}.dat`);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, randomBytes(bytes));
  }
}

let small;
let big;
let owners;

export default [
  {
    name: 'boot overhead: start of agent-entrypoint to the exec of the command (small config) vs node -e 0',
    reference: 'node -e 0',
    target: 1.6,
    runs: 30,
    warmup: 5,
    async setup() {
      const root = tempDir();
      // Default settings, as deployed: the token check and the config watch are on.
      small = { root, env: slotEnv(root, 'codex', { AGENT_REFRESH: 'on', AGENT_RELOAD: 'on' }) };
      fs.mkdirSync(path.join(root, 'defaults'), { recursive: true });
      fs.copyFileSync(path.join(import.meta.dirname, '../../defaults/codex-config.toml'), path.join(root, 'defaults/config.toml'));
      fs.mkdirSync(path.join(root, 'overlay'), { recursive: true });
      fs.writeFileSync(path.join(root, 'overlay/config.toml'), 'model = "o3"\n');
      await runOk(NODE, [BUNDLE, '/bin/true'], { env: small.env });
    },
    // The command is `date +%s%N`, a trivial program like /bin/true that also prints the moment it
    // was exec'd (CLOCK_REALTIME, as this process's clock): ours is start-to-exec, as specified.
    async ours() {
      const start = performance.timeOrigin + performance.now();
      const result = await runOk(NODE, [BUNDLE, 'date', '+%s%N'], { env: small.env });
      return Number(BigInt(result.stdout.trim()) / 1000n) / 1000 - start;
    },
    ref: async () => (await runOk(NODE, ['-e', '0'])).ms,
  },
  {
    name: 'boot overhead, as the image runs it (NODE_COMPILE_CACHE warmed by a boot): start to exec vs node -e 0',
    reference: 'node -e 0',
    target: 1.6,
    runs: 30,
    warmup: 5,
    async setup() {
      small.cached = { ...small.env, NODE_COMPILE_CACHE: tempDir() };
      await runOk(NODE, [BUNDLE, '/bin/true'], { env: small.cached }); // writes the cache, as the image build does
    },
    async ours() {
      const start = performance.timeOrigin + performance.now();
      const result = await runOk(NODE, [BUNDLE, 'date', '+%s%N'], { env: small.cached });
      return Number(BigInt(result.stdout.trim()) / 1000n) / 1000 - start;
    },
    ref: async () => (await runOk(NODE, ['-e', '0'])).ms,
  },
  {
    name: 'boot, whole process: agent-entrypoint /bin/true (small config) vs node -e 0',
    reference: 'node -e 0',
    runs: 30,
    warmup: 5,
    ours: async () => (await runOk(NODE, [BUNDLE, '/bin/true'], { env: small.env })).ms,
    ref: async () => (await runOk(NODE, ['-e', '0'])).ms,
  },
  {
    name: 'boot, whole process: agent-entrypoint /bin/true vs a bash reference boot (cp -afL + chown -R + setpriv exec)',
    reference: 'bench/reference/boot.sh',
    runs: 30,
    warmup: 5,
    ours: async () => (await runOk(NODE, [BUNDLE, '/bin/true'], { env: small.env })).ms,
    ref: async () => (await runOk('bash', [path.join(import.meta.dirname, '../reference/boot.sh'), '/bin/true'], { env: small.env })).ms,
  },
  {
    name: 'layering a 2,000-file, 100 MB overlay into an empty config dir vs cp -afL',
    reference: 'cp -afL',
    target: 1.3,
    runs: 7,
    warmup: 1,
    async setup() {
      const root = tempDir();
      big = { root, env: slotEnv(root), configDir: path.join(root, 'home/.codex'), copy: path.join(root, 'copy') };
      writeOverlay(path.join(root, 'overlay'), 2000, 50 * 1024);
    },
    async ours() {
      const env = { ...big.env, AGENT_CONFIG_DIR: await freshDir(big.root, 'config') };
      return layeringMs((await runOk(NODE, [BUNDLE, '/bin/true'], { env })).stderr);
    },
    async ref() {
      return (await runOk('cp', ['-afL', path.join(big.root, 'overlay'), await freshDir(big.root, 'copy')])).ms;
    },
  },
  {
    // The same copy made durable the way the boot makes it (flushed to disk before it counts): the
    // gap to plain cp -afL above is the disk's write time, which cp does not wait for.
    name: 'layering a 2,000-file, 100 MB overlay vs cp -afL then sync -f (the same durability)',
    reference: 'cp -afL && sync -f',
    runs: 7,
    warmup: 1,
    async ours() {
      const env = { ...big.env, AGENT_CONFIG_DIR: await freshDir(big.root, 'config') };
      return layeringMs((await runOk(NODE, [BUNDLE, '/bin/true'], { env })).stderr);
    },
    async ref() {
      const copy = await freshDir(big.root, 'copy');
      const copied = await runOk('cp', ['-afL', path.join(big.root, 'overlay'), copy]);
      return copied.ms + (await runOk('sync', ['-f', copy])).ms;
    },
  },
  {
    name: 're-applying the same overlay, nothing changed, vs cp -afL of it',
    reference: 'cp -afL',
    target: 0.2,
    runs: 7,
    warmup: 1,
    async setup() {
      await runOk(NODE, [BUNDLE, '/bin/true'], { env: big.env });
    },
    async ours() {
      const result = await runOk(NODE, [BUNDLE, '/bin/true'], { env: big.env });
      if (stepMs(result.stderr, 'layers').written.length !== 0) throw new Error('re-apply wrote files');
      return layeringMs(result.stderr);
    },
    async ref() {
      return (await runOk('cp', ['-afL', path.join(big.root, 'overlay'), await freshDir(big.root, 'copy')])).ms;
    },
  },
  {
    name: 'ownership migration of a 100,000-file home vs find ! -user -exec chown -h',
    reference: 'find + chown -h',
    target: 1.5,
    runs: 5,
    warmup: 1,
    async setup() {
      const root = tempDir();
      const home = path.join(root, 'home');
      for (let d = 0; d < 1000; d++) {
        const dir = path.join(home, 'projects', `p${d % 20}`, `d${d}`);
        fs.mkdirSync(dir, { recursive: true });
        for (let f = 0; f < 100; f++) fs.writeFileSync(path.join(dir, `f${f}`), '');
      }
      owners = { root, home, env: slotEnv(root) };
    },
    async ours() {
      await chown(['-R', '-h', '1000:1000', owners.home]);
      const step = stepMs((await runOk(NODE, [BUNDLE, '/bin/true'], { env: owners.env })).stderr, 'ownership');
      if (!step.walked || step.changed < 100_000) throw new Error(`migration did not walk: ${JSON.stringify(step)}`);
      owners.fullMs = (owners.fullMs ?? []).concat(step.ms);
      return step.ms;
    },
    async ref() {
      await chown(['-R', '-h', '1000:1000', owners.home]);
      return (await runOk('find', [owners.home, '!', '-user', '10001', '-exec', 'chown', '-h', '10001:10001', '{}', '+'])).ms;
    },
  },
  {
    name: 'ownership check of an already-migrated home vs the full migration',
    reference: 'full migration (ours)',
    target: 0.05,
    runs: 10,
    warmup: 1,
    async setup() {
      await runOk(NODE, [BUNDLE, '/bin/true'], { env: owners.env });
    },
    async ours() {
      const step = stepMs((await runOk(NODE, [BUNDLE, '/bin/true'], { env: owners.env })).stderr, 'ownership');
      if (step.walked) throw new Error('an already-migrated home was walked');
      return step.ms;
    },
    // The reference is the full-migration median measured by the previous benchmark in this run.
    ref: async () => [...owners.fullMs].sort((a, b) => a - b)[Math.floor(owners.fullMs.length / 2)],
  },
];
