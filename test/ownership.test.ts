// Ownership migration of the agent's home (a volume written as uid 1000 by an older image), for real.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runBundle, startBundle } from './helpers/bundle.js';
import { makeSlot, type Slot } from './helpers/slot.js';
import { removeTempDirs, tempDir } from './helpers/tree.js';

afterEach(removeTempDirs);

/** A home tree as an older image left it: everything owned by 1000:1000. */
function oldHome(slot: Slot, files = 50): string[] {
  const made: string[] = [];
  for (let i = 0; i < files; i++) {
    const file = path.join(slot.home, `d${i % 5}`, `sub${i % 3}`, `f${i}.txt`);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, `file ${i}`);
    made.push(file);
  }
  fs.mkdirSync(path.join(slot.configDir, 'sessions'), { recursive: true });
  fs.writeFileSync(path.join(slot.configDir, 'auth.json'), '{}', { mode: 0o600 });
  fs.symlinkSync('d0', path.join(slot.home, 'link-to-d0'));
  execFileSync('chown', ['-R', '-h', '1000:1000', slot.home]);
  return made;
}

function owners(root: string): Map<string, number> {
  const out = new Map<string, number>();
  const walk = (dir: string) => {
    out.set(dir, fs.lstatSync(dir).uid);
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else out.set(full, fs.lstatSync(full).uid);
    }
  };
  walk(root);
  return out;
}

describe('ownership migration', () => {
  it('gives every entry of a uid-1000 home to 10001 without following a planted symlink', async () => {
    const slot = makeSlot();
    oldHome(slot);
    const outside = path.join(tempDir(), 'root-owned.txt');
    fs.writeFileSync(outside, 'root only', { mode: 0o600 });
    fs.symlinkSync(outside, path.join(slot.home, 'd1', 'planted'));
    fs.lchownSync(path.join(slot.home, 'd1', 'planted'), 1000, 1000);

    const entries = owners(slot.home).size;
    const result = await runBundle(['true'], { env: slot.env });
    expect(result.exitCode, result.stderr).toBe(0);
    const uids = owners(slot.home);
    expect(entries).toBeGreaterThan(60);
    expect([...uids].filter(([, uid]) => uid !== 10001)).toEqual([]);
    expect(fs.lstatSync(path.join(slot.home, 'd1', 'planted')).uid).toBe(10001);
    expect(fs.statSync(outside).uid).toBe(0);
    const step = result.logs.find((line) => line.step === 'ownership');
    expect(step).toMatchObject({ walked: true });
    expect(step?.changed).toBe(entries); // every entry that existed, the root included, changed owner
  });

  it('resumes an interrupted migration (root still mismatched, part of the tree done)', async () => {
    const slot = makeSlot();
    const files = oldHome(slot);
    for (const file of files.slice(0, 20)) fs.lchownSync(file, 10001, 10001); // done before the interruption
    const result = await runBundle(['true'], { env: slot.env });
    expect(result.exitCode, result.stderr).toBe(0);
    expect([...owners(slot.home)].filter(([, uid]) => uid !== 10001)).toEqual([]);
  });

  it('does not walk a home whose root already belongs to the agent', async () => {
    const slot = makeSlot();
    oldHome(slot);
    fs.lchownSync(slot.home, 10001, 10001);
    const straggler = path.join(slot.home, 'd2');
    const result = await runBundle(['true'], { env: slot.env });
    expect(result.exitCode, result.stderr).toBe(0);
    expect(fs.lstatSync(straggler).uid).toBe(1000); // proof that nothing below the root was visited
    expect(result.logs.find((line) => line.step === 'ownership')).toMatchObject({ walked: false, scanned: 0 });
  });

  it('never crosses into another filesystem mounted inside the home', async () => {
    const slot = makeSlot();
    oldHome(slot, 5);
    const mount = path.join(slot.home, 'mnt');
    fs.mkdirSync(mount);
    // A private mount namespace: the tmpfs exists only for this boot.
    const script = `mount -t tmpfs -o mode=0755 none '${mount}' && touch '${mount}/inside' && chown 1000:1000 '${mount}/inside' && "$@" && stat -c %u '${mount}/inside'`;
    const proc = startBundle(['true'], { env: slot.env, wrap: ['unshare', '--mount', 'sh', '-c', script, 'sh'] });
    const result = await proc;
    expect(result.exitCode, String(result.stderr)).toBe(0);
    expect(String(result.stdout).trim()).toBe('1000');
  });

  it('is skipped with AGENT_FIX_OWNERSHIP=false', async () => {
    const slot = makeSlot();
    oldHome(slot, 5);
    const result = await runBundle(['true'], { env: { ...slot.env, AGENT_FIX_OWNERSHIP: 'false' } });
    expect(result.exitCode, result.stderr).toBe(0);
    expect(fs.lstatSync(path.join(slot.home, 'd0')).uid).toBe(1000);
  });

  it('hands AGENT_HANDOVER_PATHS to the agent recursively', async () => {
    const slot = makeSlot();
    const configs = path.join(slot.root, 'configs');
    fs.mkdirSync(path.join(configs, 'tokens'), { recursive: true });
    fs.writeFileSync(path.join(configs, 'tokens', 'token'), 'x', { mode: 0o600 });
    const result = await runBundle(['true'], { env: { ...slot.env, AGENT_HANDOVER_PATHS: `${configs}:${path.join(slot.root, 'absent')}` } });
    expect(result.exitCode, result.stderr).toBe(0);
    expect([...owners(configs)].filter(([, uid]) => uid !== 10001)).toEqual([]);
    expect(result.logs.some((line) => line.level === 'warn' && String(line.msg).includes('absent'))).toBe(true);
  });
});

describe('an entry that cannot be chowned (immutable, chattr +i)', () => {
  const immutable: string[] = [];
  afterEach(() => {
    for (const file of immutable.splice(0)) execFileSync('chattr', ['-i', file]);
  });
  const freeze = (file: string) => {
    execFileSync('chattr', ['+i', file]);
    immutable.push(file);
  };

  it('in the migrated home: exit 73 (a boot failure, not a configuration error), naming AGENT_HOME and the errno', async () => {
    const slot = makeSlot();
    const [first] = oldHome(slot, 5);
    freeze(first!);
    const result = await runBundle(['true'], { env: slot.env });
    expect(result.exitCode, result.stderr).toBe(73);
    expect(result.stderr).toContain(`cannot migrate ownership of AGENT_HOME ${slot.home} to 10001:10001`);
    expect(result.stderr).toContain(`EPERM (operation not permitted) at ${first}`);
    expect(fs.readFileSync(first!, 'utf8')).toBe('file 0');
  });

  it('in AGENT_HANDOVER_PATHS: exit 73 naming the variable', async () => {
    const slot = makeSlot();
    const handover = tempDir();
    const file = path.join(handover, 'cache.bin');
    fs.writeFileSync(file, 'cache');
    freeze(file);
    const result = await runBundle(['true'], { env: { ...slot.env, AGENT_HANDOVER_PATHS: handover } });
    expect(result.exitCode, result.stderr).toBe(73);
    expect(result.stderr).toContain(`cannot hand ${handover} (AGENT_HANDOVER_PATHS) to 10001:10001: EPERM (operation not permitted) at ${file}`);
  });
});
