// Live config reload through the real bundle, as root dropping to the agent (uid 10001): the bundle
// supervises a long-running fixture child while the overlay changes the way kubelet changes a
// ConfigMap volume, or the way an operator edits a bind-mounted directory. Every test waits for log
// lines, never for a duration.
import fs from 'node:fs';
import path from 'node:path';
import { parse as parseToml } from 'smol-toml';
import { afterEach, describe, expect, it } from 'vitest';
import { FIXTURES, NODE, runBundle, startBundle } from './helpers/bundle.js';
import { writeConfigMap, type Payload } from './helpers/kubelet.js';
import { childrenOf, processState, until } from './helpers/process.js';
import { makeSlot, type Slot } from './helpers/slot.js';
import { Tail } from './helpers/tail.js';
import { removeTempDirs, snapshot, writeTree, type EntrySnapshot } from './helpers/tree.js';

const MANIFEST = '.agent-entrypoint-manifest.json';
const signalsFixture = path.join(FIXTURES, 'signals.mjs');

const DEFAULT_TOML = `# the pod is the sandbox
sandbox_mode = "danger-full-access"
approval_policy = "on-failure"
`;

/** What the agent and the CLI wrote themselves: a reload must leave these alone, byte for byte. */
const AGENT_FILES: Record<string, string> = {
  'auth.json': '{"OPENAI_API_KEY":"sk-test-reload-untouched-0003"}',
  'history.jsonl': '{"ts":1}\n',
  'sessions/2026/11/22/rollout-1.jsonl': '{"type":"session"}\n',
};

/** A bundle supervising the signals fixture, with its output followed as it arrives. */
class RunningSlot {
  readonly stdout: Tail;
  readonly stderr: Tail;
  #agentFiles: Record<string, EntrySnapshot> = {};

  constructor(
    readonly slot: Slot,
    readonly proc: ReturnType<typeof startBundle>,
    public childPid = 0,
  ) {
    this.stdout = new Tail(proc.stdout);
    this.stderr = new Tail(proc.stderr);
  }

  /** Waits for the child and the watch; then records the agent's files (after the boot migrated their ownership). */
  async ready(watching: boolean): Promise<this> {
    await this.stdout.waitForText('READY');
    this.childPid = await until(() => childrenOf(this.proc.pid!)[0]);
    if (watching) await this.stderr.waitForMessage('watching ');
    this.#agentFiles = agentSnapshot(this.slot);
    return this;
  }

  /** Reload runs that changed the config dir so far. */
  reloads(): number {
    return this.stderr.messages('config reloaded').length;
  }

  /** Every reload run logged so far (changed or not); failures excluded. */
  runs(): number {
    return this.stderr.logs.filter((line) => line.step === 'reload' && 'ms' in line).length;
  }

  waitForReload(count: number) {
    return this.stderr.waitForMessage('config reloaded', count);
  }

  expectAgentFilesUntouched(): void {
    expect(agentSnapshot(this.slot)).toEqual(this.#agentFiles);
  }

  expectChildRunning(): void {
    expect(processState(this.childPid)).toMatch(/^[RSD]/);
    expect(processState(this.proc.pid!)).toMatch(/^[RSD]/);
  }

  async kill(): Promise<void> {
    for (const pid of [this.childPid, this.proc.pid!]) {
      try {
        if (pid) process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    await this.proc;
  }
}

const running: RunningSlot[] = [];

afterEach(async () => {
  for (const run of running.splice(0)) await run.kill();
  removeTempDirs();
});

/**
 * Boots a slot with the given layers, the agent's own files already in the config dir, and reload on;
 * resolves once the child is READY and the watch is in place.
 */
async function startSlot(setup: (slot: Slot) => void, env: Record<string, string> = {}, mode = 'record'): Promise<RunningSlot> {
  const slot = makeSlot('codex', { AGENT_RELOAD: 'on', AGENT_RELOAD_DEBOUNCE: '50ms', AGENT_STOP_GRACE: '200ms', LOG_LEVEL: 'debug', ...env });
  writeTree(slot.configDir, AGENT_FILES, 0o600);
  setup(slot);
  const run = new RunningSlot(slot, startBundle([NODE, signalsFixture, mode], { env: slot.env }));
  running.push(run);
  return run.ready(env.AGENT_RELOAD !== 'off');
}

function agentSnapshot(slot: Slot): Record<string, EntrySnapshot> {
  const all = snapshot(slot.configDir);
  return Object.fromEntries(Object.entries(all).filter(([rel]) => rel in AGENT_FILES || rel.startsWith('sessions')));
}

/**
 * The config dir's exact contents: every entry, directories as '<dir>', TOML files parsed (merged
 * files are re-serialized), other files as text, and the manifest as the list of files it records.
 */
function contents(dir: string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [rel, entry] of Object.entries(snapshot(dir))) {
    if (entry.type === 'dir') out[rel] = '<dir>';
    else if (entry.type !== 'file') out[rel] = `<${entry.type}>`;
    else {
      const text = Buffer.from(entry.content!, 'base64').toString('utf8');
      if (rel === MANIFEST) out[rel] = Object.keys((JSON.parse(text) as { files: object }).files).sort();
      else out[rel] = rel.endsWith('.toml') ? parseToml(text) : text;
    }
  }
  return out;
}

/** The agent's own files as `contents` shows them, plus the directories they live in. */
const AGENT_CONTENTS = {
  'auth.json': AGENT_FILES['auth.json'],
  'history.jsonl': AGENT_FILES['history.jsonl'],
  sessions: '<dir>',
  'sessions/2026': '<dir>',
  'sessions/2026/11': '<dir>',
  'sessions/2026/11/22': '<dir>',
  'sessions/2026/11/22/rollout-1.jsonl': AGENT_FILES['sessions/2026/11/22/rollout-1.jsonl'],
};

const expected = (layered: Record<string, unknown>) => {
  const files = Object.entries(layered).filter(([, value]) => value !== '<dir>').map(([rel]) => rel).sort();
  return { ...AGENT_CONTENTS, ...layered, [MANIFEST]: files };
};

/** The process's open inotify instances (anon_inode:inotify among its descriptors). */
function inotifyInstances(pid: number): number {
  const dir = `/proc/${pid}/fd`;
  return fs.readdirSync(dir).filter((fd) => {
    try {
      return fs.readlinkSync(path.join(dir, fd)) === 'anon_inode:inotify';
    } catch {
      return false;
    }
  }).length;
}

const withDefaults = (slot: Slot) => writeTree(slot.defaults, { 'config.toml': DEFAULT_TOML });

describe('live reload of a ConfigMap overlay (kubelet AtomicWriter layout)', () => {
  it('an updated key: rewrites that file only, agent-owned, while the child keeps running', async () => {
    const initial: Payload = { 'config.toml': 'model = "o3"\n', 'AGENTS.md': 'be brief\n' };
    const run = await startSlot((slot) => {
      withDefaults(slot);
      writeConfigMap(slot.overlay, initial);
    });
    const { slot } = run;
    expect(inotifyInstances(run.proc.pid!)).toBe(1);
    const agentsMd = fs.statSync(path.join(slot.configDir, 'AGENTS.md'));

    writeConfigMap(slot.overlay, { ...initial, 'config.toml': 'model = "o4"\n' });
    const line = await run.waitForReload(1);

    expect(line).toMatchObject({ written: ['config.toml'], removed: [], trigger: ['..data'] });
    expect(contents(slot.configDir)).toEqual(
      expected({ 'config.toml': { sandbox_mode: 'danger-full-access', approval_policy: 'on-failure', model: 'o4' }, 'AGENTS.md': 'be brief\n' }),
    );
    const written = fs.statSync(path.join(slot.configDir, 'config.toml'));
    expect([written.uid, written.gid, written.mode & 0o777]).toEqual([10001, 10001, 0o644]);
    const manifest = fs.statSync(path.join(slot.configDir, MANIFEST));
    expect([manifest.uid, manifest.gid, manifest.mode & 0o777]).toEqual([10001, 10001, 0o600]);
    // The untouched key was not rewritten: same inode, same mtime.
    expect(fs.statSync(path.join(slot.configDir, 'AGENTS.md'))).toMatchObject({ ino: agentsMd.ino, mtimeMs: agentsMd.mtimeMs });
    run.expectAgentFilesUntouched();
    run.expectChildRunning();
  });

  it('an added key: writes the new file', async () => {
    const initial: Payload = { 'config.toml': 'model = "o3"\n' };
    const run = await startSlot((slot) => writeConfigMap(slot.overlay, initial));
    writeConfigMap(run.slot.overlay, { ...initial, 'AGENTS.md': 'added\n' });
    expect(await run.waitForReload(1)).toMatchObject({ written: ['AGENTS.md'], removed: [] });
    expect(contents(run.slot.configDir)).toEqual(expected({ 'config.toml': { model: 'o3' }, 'AGENTS.md': 'added\n' }));
    run.expectAgentFilesUntouched();
    run.expectChildRunning();
    // AGENT_ON_CONFIG_CHANGE defaults to none: the child (which prints every signal it gets) got none.
    expect(run.stderr.messages('sending ')).toEqual([]);
    expect(run.stdout.text).toBe('READY\n');
  });

  it("a removed key: removes the file we wrote, restores layer 1's version, keeps a file someone edited", async () => {
    const initial: Payload = { 'config.toml': 'model = "o3"\n', 'AGENTS.md': 'be brief\n', 'notes.md': 'ours\n', 'keep.md': 'k\n' };
    const run = await startSlot((slot) => {
      withDefaults(slot);
      writeConfigMap(slot.overlay, initial);
    });
    const { slot } = run;
    // The agent edits a file the layers wrote: once its key leaves, it is the agent's file.
    fs.writeFileSync(path.join(slot.configDir, 'notes.md'), 'edited by the agent\n');

    writeConfigMap(slot.overlay, { 'keep.md': 'k\n' });
    const line = await run.waitForReload(1);

    expect(line).toMatchObject({ written: ['config.toml'], removed: ['AGENTS.md'] });
    expect(run.stderr.messages('files the layers no longer provide')[0]).toMatchObject({ files: ['notes.md'] });
    expect(fs.readFileSync(path.join(slot.configDir, 'config.toml'), 'utf8')).toBe(DEFAULT_TOML); // byte for byte, comment kept
    expect(contents(slot.configDir)).toEqual({
      ...expected({ 'config.toml': parseToml(DEFAULT_TOML), 'keep.md': 'k\n' }),
      'notes.md': 'edited by the agent\n',
    });
    run.expectAgentFilesUntouched();
    run.expectChildRunning();
  });

  it('a nested directory key: updates, adds and removes files in subdirectories, and removes directories it emptied', async () => {
    const run = await startSlot((slot) => writeConfigMap(slot.overlay, { 'prompts/deep/review.md': 'v1\n', 'AGENTS.md': 'a\n' }));
    const { slot } = run;

    writeConfigMap(slot.overlay, { 'prompts/deep/review.md': 'v2\n', 'prompts/other/new.md': 'new\n', 'AGENTS.md': 'a\n' });
    expect(await run.waitForReload(1)).toMatchObject({ written: ['prompts/deep/review.md', 'prompts/other/new.md'], removed: [] });
    expect(contents(slot.configDir)).toEqual(
      expected({ 'AGENTS.md': 'a\n', prompts: '<dir>', 'prompts/deep': '<dir>', 'prompts/deep/review.md': 'v2\n', 'prompts/other': '<dir>', 'prompts/other/new.md': 'new\n' }),
    );

    writeConfigMap(slot.overlay, { 'AGENTS.md': 'a\n' });
    expect(await run.waitForReload(2)).toMatchObject({ written: [], removed: ['prompts/deep/review.md', 'prompts/other/new.md'] });
    expect(contents(slot.configDir)).toEqual(expected({ 'AGENTS.md': 'a\n' }));
    run.expectAgentFilesUntouched();
    run.expectChildRunning();
  });

  it('five updates in quick succession: one apply, with the final state (default debounce)', async () => {
    const run = await startSlot((slot) => writeConfigMap(slot.overlay, { 'config.toml': 'n = 0\n', 'AGENTS.md': 'a\n' }), { AGENT_RELOAD_DEBOUNCE: '' });
    const { slot } = run;
    const runsBefore = run.runs();

    for (let n = 1; n <= 5; n++) writeConfigMap(slot.overlay, { 'config.toml': `n = ${n}\n`, 'AGENTS.md': 'a\n' });
    const first = await run.waitForReload(1);
    expect(first).toMatchObject({ written: ['config.toml'] });
    expect(contents(slot.configDir)).toEqual(expected({ 'config.toml': { n: 5 }, 'AGENTS.md': 'a\n' }));
    expect(run.stderr.messages('watching ')[0]).toMatchObject({ debounce: '500ms', backend: 'inotify' });

    // A later, unrelated update: once it is applied, every event of the burst has been handled.
    writeConfigMap(slot.overlay, { 'config.toml': 'n = 5\n', 'AGENTS.md': 'b\n' });
    expect(await run.waitForReload(2)).toMatchObject({ written: ['AGENTS.md'] });
    expect(run.runs() - runsBefore).toBe(2);
    run.expectAgentFilesUntouched();
    run.expectChildRunning();
  });

  it('an invalid update keeps the last good config, is reported once naming the file, and a fix is applied', async () => {
    const good: Payload = { 'config.toml': 'model = "o3"\n', 'AGENTS.md': 'a\n' };
    const run = await startSlot((slot) => writeConfigMap(slot.overlay, good));
    const { slot } = run;
    const before = snapshot(slot.configDir);

    writeConfigMap(slot.overlay, { 'config.toml': 'model = "o4"\nbroken = = 1\n', 'AGENTS.md': 'b\n' });
    const error = await run.stderr.waitForMessage('config update not applied');
    expect(error.level).toBe('error');
    expect(error.msg).toContain(path.join(slot.overlay, 'config.toml'));
    expect(error.msg).toContain('line 2');
    expect(snapshot(slot.configDir)).toEqual(before);
    run.expectChildRunning();

    // Still broken, another key changed: nothing applied, no second error.
    writeConfigMap(slot.overlay, { 'config.toml': 'model = "o4"\nbroken = = 1\n', 'AGENTS.md': 'c\n' });
    await run.stderr.waitForMessage('config update still not applied');
    expect(run.stderr.messages('config update not applied')).toHaveLength(1);
    expect(snapshot(slot.configDir)).toEqual(before);

    writeConfigMap(slot.overlay, { 'config.toml': 'model = "o5"\n', 'AGENTS.md': 'c\n' });
    const fixed = await run.waitForReload(1);
    expect(fixed.msg).toBe('config reloaded; the earlier invalid update is fixed');
    expect(fixed).toMatchObject({ written: ['AGENTS.md', 'config.toml'] });
    expect(contents(slot.configDir)).toEqual(expected({ 'config.toml': { model: 'o5' }, 'AGENTS.md': 'c\n' }));
    run.expectAgentFilesUntouched();
    run.expectChildRunning();
  });

  it('the overlay directory created after boot, then removed again', async () => {
    const run = await startSlot((slot) => withDefaults(slot));
    const { slot } = run;
    expect(fs.existsSync(slot.overlay)).toBe(false);

    writeConfigMap(slot.overlay, { 'config.toml': 'model = "o3"\n', 'AGENTS.md': 'a\n' });
    expect(await run.waitForReload(1)).toMatchObject({ written: ['AGENTS.md', 'config.toml'] });
    expect(contents(slot.configDir)).toEqual(
      expected({ 'config.toml': { sandbox_mode: 'danger-full-access', approval_policy: 'on-failure', model: 'o3' }, 'AGENTS.md': 'a\n' }),
    );

    fs.rmSync(slot.overlay, { recursive: true });
    expect(await run.waitForReload(2)).toMatchObject({ written: ['config.toml'], removed: ['AGENTS.md'] });
    expect(contents(slot.configDir)).toEqual(expected({ 'config.toml': parseToml(DEFAULT_TOML) }));

    writeConfigMap(slot.overlay, { 'AGENTS.md': 'back\n' });
    expect(await run.waitForReload(3)).toMatchObject({ written: ['AGENTS.md'] });
    expect(contents(slot.configDir)).toEqual(expected({ 'config.toml': parseToml(DEFAULT_TOML), 'AGENTS.md': 'back\n' }));
    run.expectAgentFilesUntouched();
    run.expectChildRunning();
  });
});

describe('live reload of a plain directory edited in place', () => {
  it('edits, new files, nested files, deletions, and an escaping symlink refused then removed', async () => {
    const run = await startSlot((slot) => writeTree(slot.overlay, { 'config.toml': 'model = "o3"\n', 'AGENTS.md': 'a\n', 'prompts/a.md': 'a\n' }));
    const { slot } = run;
    const file = (rel: string) => path.join(slot.overlay, rel);
    const configIno = fs.statSync(file('config.toml')).ino;

    fs.writeFileSync(file('config.toml'), 'model = "o4"\n'); // in place: same inode
    expect(fs.statSync(file('config.toml')).ino).toBe(configIno);
    expect(await run.waitForReload(1)).toMatchObject({ written: ['config.toml'], trigger: ['config.toml'] });
    expect(contents(slot.configDir)).toEqual(expected({ 'config.toml': { model: 'o4' }, 'AGENTS.md': 'a\n', prompts: '<dir>', 'prompts/a.md': 'a\n' }));

    fs.appendFileSync(file('prompts/a.md'), 'more\n');
    fs.mkdirSync(file('prompts/deep'));
    fs.writeFileSync(file('prompts/deep/b.md'), 'b\n');
    expect(await run.waitForReload(2)).toMatchObject({ written: ['prompts/a.md', 'prompts/deep/b.md'] });

    fs.rmSync(file('AGENTS.md'));
    expect(await run.waitForReload(3)).toMatchObject({ written: [], removed: ['AGENTS.md'] });
    expect(contents(slot.configDir)).toEqual(
      expected({ 'config.toml': { model: 'o4' }, prompts: '<dir>', 'prompts/a.md': 'a\nmore\n', 'prompts/deep': '<dir>', 'prompts/deep/b.md': 'b\n' }),
    );

    const before = snapshot(slot.configDir);
    fs.symlinkSync('/etc/passwd', file('stolen'));
    const error = await run.stderr.waitForMessage('config update not applied');
    expect(error.msg).toContain(`${file('stolen')} is a symlink that escapes the layer`);
    expect(snapshot(slot.configDir)).toEqual(before);

    fs.rmSync(file('stolen'));
    fs.writeFileSync(file('AGENTS.md'), 'again\n');
    expect(await run.waitForReload(4)).toMatchObject({ msg: 'config reloaded; the earlier invalid update is fixed', written: ['AGENTS.md'] });
    expect(fs.existsSync(path.join(slot.configDir, 'stolen'))).toBe(false);
    run.expectAgentFilesUntouched();
    run.expectChildRunning();
  });

  it('follows an AGENT_OVERLAY_DIR that is a symlink, into its target and to a new target', async () => {
    let real = '';
    const run = await startSlot((slot) => {
      real = path.join(slot.root, 'mounted-config');
      writeTree(real, { 'AGENTS.md': 'a\n' });
      fs.mkdirSync(path.dirname(slot.overlay), { recursive: true });
      fs.symlinkSync(real, slot.overlay);
    });
    const { slot } = run;
    fs.writeFileSync(path.join(real, 'AGENTS.md'), 'b\n');
    expect(await run.waitForReload(1)).toMatchObject({ written: ['AGENTS.md'] });
    expect(contents(slot.configDir)).toEqual(expected({ 'AGENTS.md': 'b\n' }));

    // The link is swapped atomically to another directory: its content applies, and edits there
    // are watched from then on.
    const other = path.join(slot.root, 'mounted-config-2');
    writeTree(other, { 'AGENTS.md': 'c\n' });
    fs.symlinkSync(other, `${slot.overlay}.tmp`);
    fs.renameSync(`${slot.overlay}.tmp`, slot.overlay);
    expect(await run.waitForReload(2)).toMatchObject({ written: ['AGENTS.md'], trigger: ['.'] });
    await run.stderr.waitForMessage('watching ', 2);
    fs.writeFileSync(path.join(other, 'AGENTS.md'), 'd\n');
    expect(await run.waitForReload(3)).toMatchObject({ written: ['AGENTS.md'], trigger: ['AGENTS.md'] });
    expect(contents(slot.configDir)).toEqual(expected({ 'AGENTS.md': 'd\n' }));
    run.expectChildRunning();
  });
});

describe('reload settings and lifetime', () => {
  it('AGENT_RELOAD=off: no watch at all (no inotify instance), and the overlay is read at boot only', async () => {
    const run = await startSlot((slot) => writeTree(slot.overlay, { 'AGENTS.md': 'a\n' }), { AGENT_RELOAD: 'off' });
    expect(inotifyInstances(run.proc.pid!)).toBe(0);
    fs.writeFileSync(path.join(run.slot.overlay, 'AGENTS.md'), 'b\n');
    process.kill(run.proc.pid!, 'SIGTERM');
    await run.proc;
    expect(run.stderr.logs.filter((line) => line.step === 'reload')).toEqual([]);
    expect(fs.readFileSync(path.join(run.slot.configDir, 'AGENTS.md'), 'utf8')).toBe('a\n');
  });

  it('AGENT_ON_CONFIG_CHANGE=SIGHUP reaches the child after a change, not after a reload that changed nothing', async () => {
    const run = await startSlot((slot) => writeConfigMap(slot.overlay, { 'AGENTS.md': 'a\n' }), { AGENT_ON_CONFIG_CHANGE: 'SIGHUP' });
    // The catch-up run at start changed nothing: no signal.
    expect(run.stdout.text).toBe('READY\n');
    writeConfigMap(run.slot.overlay, { 'AGENTS.md': 'b\n' });
    await run.stdout.waitForText('GOT SIGHUP');
    expect(run.stderr.messages('sending SIGHUP to the child')).toHaveLength(1);
    run.expectChildRunning();
  });

  it('the watch and a pending debounce timer stop when the child exits: the bundle exits at once', async () => {
    // A one-hour debounce: a timer left behind would keep the bundle alive far past the test timeout.
    const run = await startSlot((slot) => writeTree(slot.overlay, { 'AGENTS.md': 'a\n' }), { AGENT_RELOAD_DEBOUNCE: '1h' }, 'die');
    fs.writeFileSync(path.join(run.slot.overlay, 'AGENTS.md'), 'b\n');
    await run.stderr.waitForMessage('config change seen');
    process.kill(run.proc.pid!, 'SIGUSR1'); // relayed; the fixture dies by it
    const result = await run.proc;
    expect(result.exitCode).toBe(138);
    expect(run.stderr.messages('config watch stopped')).toHaveLength(1);
    expect(run.reloads()).toBe(0);
  });

  it('a child that exits at once does not wait for the watch to open', async () => {
    const slot = makeSlot('codex', { AGENT_RELOAD: 'on', LOG_LEVEL: 'debug' });
    writeConfigMap(slot.overlay, { 'AGENTS.md': 'a\n' });
    const result = await runBundle(['true'], { env: slot.env });
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.logs.filter((line) => line.msg === 'config watch stopped')).toHaveLength(1);
  });

  it('falls back to polling, with one warning, when inotify cannot be used (watch limit 0 in a user namespace)', async () => {
    // A user namespace has its own inotify limits: setting them to 0 there exhausts them for this
    // process only. Inside it root maps to root alone, so the agent runs as (namespace) root.
    const slot = makeSlot('codex', {
      AGENT_RELOAD: 'on',
      AGENT_RELOAD_DEBOUNCE: '50ms',
      AGENT_UID: '0',
      AGENT_GID: '0',
      AGENT_ALLOW_ROOT: 'true',
      AGENT_STOP_GRACE: '200ms',
    });
    writeConfigMap(slot.overlay, { 'AGENTS.md': 'a\n' });
    const proc = startBundle([NODE, signalsFixture, 'record'], {
      env: slot.env,
      wrap: ['unshare', '--user', '--map-root-user', 'sh', '-c', 'echo 0 > /proc/sys/user/max_inotify_watches && exec "$@"', 'sh'],
    });
    const stderr = new Tail(proc.stderr);
    try {
      const warning = await stderr.waitForMessage('inotify cannot be used');
      expect(warning).toMatchObject({ level: 'warn', code: 'ENOSPC' });
      expect(await stderr.waitForMessage('watching ')).toMatchObject({ backend: 'polling', pollEvery: '1s' });
      writeConfigMap(slot.overlay, { 'AGENTS.md': 'b\n' });
      expect(await stderr.waitForMessage('config reloaded')).toMatchObject({ written: ['AGENTS.md'] });
      expect(fs.readFileSync(path.join(slot.configDir, 'AGENTS.md'), 'utf8')).toBe('b\n');
      expect(stderr.messages('inotify cannot be used')).toHaveLength(1);
      expect(stderr.messages('config watch:')).toEqual([]);
    } finally {
      for (const pid of [...childrenOf(proc.pid!), proc.pid!]) process.kill(pid, 'SIGKILL');
      await proc;
    }
  });
});
