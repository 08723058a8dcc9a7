// Layering through the real bundle, as root, against temp directories.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parse as parseToml } from 'smol-toml';
import { runBundle } from './helpers/bundle.js';
import { writeConfigMap } from './helpers/kubelet.js';
import { makeSlot, type Slot } from './helpers/slot.js';
import { removeTempDirs, snapshot, writeTree } from './helpers/tree.js';

afterEach(removeTempDirs);

const boot = (slot: Slot, extra: Record<string, string> = {}) => runBundle(['true'], { env: { ...slot.env, ...extra } });
const read = (slot: Slot, rel: string) => fs.readFileSync(path.join(slot.configDir, rel), 'utf8');

const DEFAULT_TOML = `# why: the pod is the sandbox
sandbox_mode = "danger-full-access"
approval_policy = "on-failure"

[projects."/home/codex/workspace"]
trust_level = "trusted"
`;

describe('config layers', () => {
  it('copies the defaults layer byte for byte, comments kept, agent-owned, owner-writable', async () => {
    const slot = makeSlot();
    writeTree(slot.defaults, { 'config.toml': DEFAULT_TOML, 'prompts/review.md': '# review\n' }, 0o444);
    const result = await boot(slot);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(read(slot, 'config.toml')).toBe(DEFAULT_TOML);
    expect(read(slot, 'prompts/review.md')).toBe('# review\n');
    const stat = fs.statSync(path.join(slot.configDir, 'config.toml'));
    expect([stat.uid, stat.gid, stat.mode & 0o777]).toEqual([10001, 10001, 0o644]);
    expect(stat.mtimeMs).toBe(fs.statSync(path.join(slot.defaults, 'config.toml')).mtimeMs);
    expect(fs.statSync(path.join(slot.configDir, 'prompts')).uid).toBe(10001);
  });

  it('copies an overlay-only layer', async () => {
    const slot = makeSlot();
    writeTree(slot.overlay, { 'config.toml': 'model = "o3"\n', 'AGENTS.md': 'be brief\n' });
    const result = await boot(slot);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(read(slot, 'config.toml')).toBe('model = "o3"\n');
    expect(read(slot, 'AGENTS.md')).toBe('be brief\n');
  });

  it('merges TOML per key (tables deep, overlay scalars and arrays win) and JSON the same way', async () => {
    const slot = makeSlot();
    writeTree(slot.defaults, {
      'config.toml': `${DEFAULT_TOML}\n[tools]\nlist = ["a", "b"]\n`,
      'settings.json': JSON.stringify({ permissions: { defaultMode: 'bypassPermissions', allow: ['x'] }, theme: 'dark' }),
    });
    writeTree(slot.overlay, {
      'config.toml': 'approval_policy = "never"\nmodel = "o3"\n[projects."/home/codex/workspace"]\nextra = 1\n[tools]\nlist = ["c"]\n',
      'settings.json': JSON.stringify({ permissions: { allow: ['y'] }, model: 'opus' }),
    });
    const result = await boot(slot);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(parseToml(read(slot, 'config.toml'))).toEqual({
      sandbox_mode: 'danger-full-access',
      approval_policy: 'never',
      projects: { '/home/codex/workspace': { trust_level: 'trusted', extra: 1 } },
      tools: { list: ['c'] },
      model: 'o3',
    });
    expect(JSON.parse(read(slot, 'settings.json'))).toEqual({
      permissions: { defaultMode: 'bypassPermissions', allow: ['y'] },
      theme: 'dark',
      model: 'opus',
    });
  });

  it('reads an overlay laid out as kubelet writes a ConfigMap, nested keys included, and skips its internals', async () => {
    const slot = makeSlot();
    writeTree(slot.defaults, { 'config.toml': DEFAULT_TOML });
    writeConfigMap(slot.overlay, { 'config.toml': 'model = "o3"\n', 'prompts/deep/review.md': 'nested\n', 'AGENTS.md': 'hi\n' });
    const result = await boot(slot);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(parseToml(read(slot, 'config.toml'))).toMatchObject({ model: 'o3', sandbox_mode: 'danger-full-access' });
    expect(read(slot, 'prompts/deep/review.md')).toBe('nested\n');
    const names = fs.readdirSync(slot.configDir).sort();
    expect(names).toEqual(['.agent-entrypoint-manifest.json', 'AGENTS.md', 'config.toml', 'prompts']);
    expect(fs.lstatSync(path.join(slot.configDir, 'AGENTS.md')).isFile()).toBe(true);
  });

  it('accepts a TOML overlay saved with a UTF-8 byte-order mark', async () => {
    const slot = makeSlot();
    writeTree(slot.defaults, { 'config.toml': DEFAULT_TOML });
    writeTree(slot.overlay, { 'config.toml': '\uFEFFmodel = "o3"\n', 'settings.json': '\uFEFF{"a": 1}' });
    const result = await boot(slot);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(parseToml(read(slot, 'config.toml'))).toMatchObject({ model: 'o3' });
  });

  it('does not rewrite unchanged files on the next boot, and never touches files no layer provides', async () => {
    const slot = makeSlot();
    writeTree(slot.defaults, { 'config.toml': DEFAULT_TOML, 'a/b.txt': 'b' });
    writeTree(slot.overlay, { 'config.toml': 'model = "o3"\n' });
    fs.mkdirSync(path.join(slot.configDir, 'sessions/2026'), { recursive: true });
    writeTree(slot.configDir, { 'auth.json': '{"OPENAI_API_KEY":"sk-test-untouched-0001"}', 'sessions/2026/s.jsonl': '{}\n', 'history.jsonl': 'h\n' }, 0o600);
    const first = await boot(slot);
    expect(first.exitCode, first.stderr).toBe(0);
    const before = snapshot(slot.configDir);
    const second = await boot(slot);
    expect(second.exitCode, second.stderr).toBe(0);
    expect(snapshot(slot.configDir)).toEqual(before);
    const layers = second.logs.find((line) => line.step === 'layers');
    expect(layers).toMatchObject({ written: [], unchanged: 2 });
    expect(read(slot, 'auth.json')).toBe('{"OPENAI_API_KEY":"sk-test-untouched-0001"}');
    expect(read(slot, 'sessions/2026/s.jsonl')).toBe('{}\n');
    expect(before['history.jsonl']).toMatchObject({ mode: 0o600, content: Buffer.from('h\n').toString('base64') });
  });

  it('rewrites a layered file someone changed, and removes a file whose key left the overlay', async () => {
    const slot = makeSlot();
    writeConfigMap(slot.overlay, { 'config.toml': 'model = "o3"\n', 'AGENTS.md': 'hi\n' });
    expect((await boot(slot)).exitCode).toBe(0);
    fs.writeFileSync(path.join(slot.configDir, 'config.toml'), 'model = "edited"\n');
    writeConfigMap(slot.overlay, { 'config.toml': 'model = "o3"\n' });
    const result = await boot(slot);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(read(slot, 'config.toml')).toBe('model = "o3"\n');
    expect(fs.existsSync(path.join(slot.configDir, 'AGENTS.md'))).toBe(false);
    expect(result.logs.find((line) => line.step === 'layers')).toMatchObject({ written: ['config.toml'], removed: ['AGENTS.md'] });
  });

  it('removes a nested key that left the ConfigMap, and the directories it emptied, on the next boot', async () => {
    const slot = makeSlot();
    writeConfigMap(slot.overlay, { 'prompts/deep/review.md': 'r\n', 'prompts/other/x.md': 'x\n', 'AGENTS.md': 'hi\n' });
    expect((await boot(slot)).exitCode).toBe(0);
    writeTree(slot.configDir, { 'prompts/mine.md': 'the agent wrote this\n' });
    writeConfigMap(slot.overlay, { 'AGENTS.md': 'hi\n' });
    const result = await boot(slot);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.logs.find((line) => line.step === 'layers')).toMatchObject({ removed: ['prompts/deep/review.md', 'prompts/other/x.md'] });
    // Emptied directories are gone; the one holding someone else's file stays.
    expect(Object.keys(snapshot(slot.configDir)).sort()).toEqual(['.agent-entrypoint-manifest.json', 'AGENTS.md', 'prompts', 'prompts/mine.md']);
  });

  for (const [how, path_] of [
    ['with one syncfs (coreutils sync -f)', undefined],
    ['file by file when sync cannot be run', 'no-sync-here'],
  ] as const) {
    it(`applies a large overlay (200 files) ${how}`, async () => {
      const slot = makeSlot();
      const files = Object.fromEntries(Array.from({ length: 200 }, (_, i) => [`d${i % 7}/f${i}.txt`, `content ${i}\n`]));
      writeTree(slot.overlay, files);
      // Without sync on PATH the boot still works: the command is given by its full path.
      const env = path_ ? { ...slot.env, PATH: path.join(slot.root, path_) } : slot.env;
      const result = await runBundle(['/bin/true'], { env });
      expect(result.exitCode, result.stderr).toBe(0);
      for (const [rel, content] of Object.entries(files)) expect(read(slot, rel)).toBe(content);
      expect(result.logs.find((line) => line.step === 'layers')).toMatchObject({ unchanged: 0 });
    });
  }

  it('runs sync with PATH alone: the credentials in its own environment are not handed on', async () => {
    const slot = makeSlot();
    writeTree(slot.overlay, Object.fromEntries(Array.from({ length: 80 }, (_, i) => [`f${i}.txt`, `${i}\n`])));
    // A sync on PATH that records the environment it was given (and syncs for real).
    const bin = path.join(slot.root, 'bin');
    const record = path.join(slot.root, 'sync-env');
    fs.mkdirSync(bin);
    fs.writeFileSync(path.join(bin, 'sync'), `#!/bin/sh\n/usr/bin/env -0 > ${record}\nexec /bin/sync "$@"\n`, { mode: 0o755 });
    const secret = 'sk-sync-env-should-not-see-this';
    const result = await runBundle(['/bin/true'], { env: { ...slot.env, PATH: `${bin}:/usr/bin:/bin`, OPENAI_API_KEY: secret } });
    expect(result.exitCode, result.stderr).toBe(0);
    const names = fs.readFileSync(record, 'utf8').split('\0').filter(Boolean).map((entry) => entry.split('=')[0]);
    // sh adds PWD (and may add SHLVL, _); nothing else came from the boot.
    expect(names.filter((name) => !['PWD', 'SHLVL', '_'].includes(name!))).toEqual(['PATH']);
  });

  it('boots with neither layer present', async () => {
    const slot = makeSlot();
    const result = await boot(slot);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(fs.statSync(slot.configDir).mode & 0o777).toBe(0o700);
  });
});

describe('fatal layer problems leave the config dir exactly as it was', () => {
  const cases: Array<{ name: string; setup: (slot: Slot) => void; culprit: (slot: Slot) => string; mention?: string }> = [
    {
      name: 'a symlink escaping the layer',
      setup: (slot) => {
        writeTree(slot.overlay, { 'ok.toml': 'a = 1\n' });
        fs.symlinkSync('/etc/shadow', path.join(slot.overlay, 'stolen'));
      },
      culprit: (slot) => path.join(slot.overlay, 'stolen'),
      mention: '/etc/shadow',
    },
    {
      name: 'a relative symlink climbing out of the layer',
      setup: (slot) => {
        writeTree(slot.root, { 'secret.txt': 'host secret' });
        fs.mkdirSync(slot.overlay, { recursive: true });
        fs.symlinkSync('../../secret.txt', path.join(slot.overlay, 'x'));
      },
      culprit: (slot) => path.join(slot.overlay, 'x'),
    },
    {
      name: 'a dangling symlink',
      setup: (slot) => {
        fs.mkdirSync(slot.overlay, { recursive: true });
        fs.symlinkSync('missing.toml', path.join(slot.overlay, 'config.toml'));
      },
      culprit: (slot) => path.join(slot.overlay, 'config.toml'),
      mention: 'dangling',
    },
    {
      name: 'a FIFO',
      setup: (slot) => {
        fs.mkdirSync(slot.defaults, { recursive: true });
        writeTree(slot.defaults, { 'config.toml': 'a = 1\n' });
        execFileSync('mkfifo', [path.join(slot.defaults, 'pipe')]);
      },
      culprit: (slot) => path.join(slot.defaults, 'pipe'),
      mention: 'FIFO',
    },
    {
      name: 'a file in one layer and a directory in the other',
      setup: (slot) => {
        writeTree(slot.defaults, { 'prompts/a.md': 'a' });
        writeTree(slot.overlay, { prompts: 'not a dir' });
      },
      culprit: () => 'prompts',
      mention: 'directory',
    },
    {
      name: 'TOML that does not parse',
      setup: (slot) => {
        writeTree(slot.defaults, { 'config.toml': DEFAULT_TOML });
        writeTree(slot.overlay, { 'config.toml': 'model = "o3"\nbroken = = 2\n' });
      },
      culprit: (slot) => path.join(slot.overlay, 'config.toml'),
      mention: 'line 2',
    },
    {
      name: 'JSON that does not parse',
      setup: (slot) => {
        writeTree(slot.overlay, { 'settings.json': '{\n  "a": 1,\n  "b": }\n' });
      },
      culprit: (slot) => path.join(slot.overlay, 'settings.json'),
      mention: 'line 3, column 8',
    },
    {
      name: 'a credentials file in a layer',
      setup: (slot) => {
        writeTree(slot.overlay, { 'auth.json': '{}' });
      },
      culprit: (slot) => path.join(slot.overlay, 'auth.json'),
      mention: 'CODEX_SESSION',
    },
  ];

  for (const testCase of cases) {
    it(`refuses ${testCase.name}`, async () => {
      const slot = makeSlot();
      // A config dir from an earlier boot, with the agent's own files in it.
      writeTree(slot.configDir, { 'config.toml': 'model = "previous"\n', 'auth.json': '{"OPENAI_API_KEY":"sk-previous-0002"}' }, 0o600);
      testCase.setup(slot);
      const before = snapshot(slot.configDir);
      const result = await boot(slot);
      expect(result.exitCode).toBe(78);
      const fatal = result.plain.find((line) => line.startsWith('FATAL:'));
      expect(fatal, result.stderr).toBeDefined();
      expect(fatal).toContain(testCase.culprit(slot));
      if (testCase.mention) expect(fatal).toContain(testCase.mention);
      expect(snapshot(slot.configDir)).toEqual(before);
      expect(result.stderr).not.toContain('child started');
    });
  }

  it('refuses a config dir entry that is a symlink where a layer provides a directory', async () => {
    const slot = makeSlot();
    writeTree(slot.defaults, { 'prompts/a.md': 'a' });
    fs.mkdirSync(slot.configDir, { recursive: true });
    const elsewhere = path.join(slot.root, 'elsewhere');
    fs.mkdirSync(elsewhere);
    fs.symlinkSync(elsewhere, path.join(slot.configDir, 'prompts'));
    const result = await boot(slot);
    expect(result.exitCode).toBe(78);
    expect(result.stderr).toContain(path.join(slot.configDir, 'prompts'));
    expect(fs.readdirSync(elsewhere)).toEqual([]);
  });
});

describe('the manifest is agent-writable: a root boot never acts on a forged entry', () => {
  it('leaves host files alone whatever the agent writes into the manifest or plants as a symlink', async () => {
    const slot = makeSlot();
    writeTree(slot.overlay, { 'sub/x.md': 'x\n' });
    expect((await boot(slot)).exitCode).toBe(0);

    // Outside the config dir: a root-owned file, another one behind a symlink, an empty directory.
    const victims = path.join(slot.root, 'victims');
    writeTree(victims, { victim: 'root only\n', victim2: 'root only\n' }, 0o600);
    fs.mkdirSync(path.join(victims, 'emptydir'));
    // As the agent would: replace its own directory with a symlink, and forge matching records.
    fs.rmSync(path.join(slot.configDir, 'sub'), { recursive: true });
    fs.symlinkSync(victims, path.join(slot.configDir, 'sub'));
    const stamp = (file: string) => {
      const stat = fs.lstatSync(file);
      return { size: stat.size, mtimeMs: stat.mtimeMs, ctimeMs: stat.ctimeMs, ino: stat.ino, uid: stat.uid, mode: stat.mode & 0o7777, sources: [] };
    };
    const manifestFile = path.join(slot.configDir, '.agent-entrypoint-manifest.json');
    const climb = path.relative(slot.configDir, victims);
    fs.writeFileSync(
      manifestFile,
      JSON.stringify({
        version: 1,
        files: { [`${climb}/victim`]: stamp(path.join(victims, 'victim')), 'sub/victim2': stamp(path.join(victims, 'victim2')) },
        dirs: [`${climb}/emptydir`, 'sub/emptydir'],
      }),
    );
    fs.rmSync(path.join(slot.overlay, 'sub'), { recursive: true });

    const result = await boot(slot);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(fs.readFileSync(path.join(victims, 'victim'), 'utf8')).toBe('root only\n');
    expect(fs.readFileSync(path.join(victims, 'victim2'), 'utf8')).toBe('root only\n');
    expect(fs.existsSync(path.join(victims, 'emptydir'))).toBe(true);
    expect(result.stderr).toContain('not plain relative paths');
  });
});

