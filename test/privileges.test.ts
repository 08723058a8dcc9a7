// The privilege drop, for real: the child and the supervisor itself end up as the agent.
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { FIXTURES, NODE, runBundle } from './helpers/bundle.js';
import { makeSlot } from './helpers/slot.js';
import { removeTempDirs, tempDir } from './helpers/tree.js';

afterEach(removeTempDirs);

interface Report {
  uid: number;
  euid: number;
  gid: number;
  egid: number;
  groups: number[];
  capEff: string;
  cwd: string;
  env: Record<string, string>;
  parent: { uid: string[]; gid: string[]; groups: string[]; capEff: string };
}

async function report(env: Record<string, string>, wrap?: string[]): Promise<{ report: Report; stderr: string }> {
  const dir = tempDir();
  fs.chmodSync(dir, 0o777);
  const file = path.join(dir, 'report.json');
  const result = await runBundle([NODE, path.join(FIXTURES, 'report.mjs')], { env: { ...env, REPORT_FILE: file }, wrap });
  expect(result.exitCode, result.stderr).toBe(0);
  return { report: JSON.parse(fs.readFileSync(file, 'utf8')) as Report, stderr: result.stderr };
}

describe('privilege drop', () => {
  it('runs the child as 10001:10001 with no capabilities, HOME and CODEX_HOME set, CODEX_SESSION removed', async () => {
    const slot = makeSlot();
    const session = JSON.stringify({ OPENAI_API_KEY: 'sk-seeded-secret-123456789', last_refresh: '2026-01-01T00:00:00Z' });
    const { report: child, stderr } = await report({ ...slot.env, CODEX_SESSION: session });
    expect([child.uid, child.euid, child.gid, child.egid]).toEqual([10001, 10001, 10001, 10001]);
    expect(child.groups).toEqual([10001]);
    expect(child.capEff).toBe('0000000000000000');
    expect(child.cwd).toBe(slot.workspace);
    expect(child.env.HOME).toBe(slot.home);
    expect(child.env.CODEX_HOME).toBe(slot.configDir);
    expect(child.env.USER).toBeTruthy();
    expect(child.env.LOGNAME).toBe(child.env.USER);
    expect(child.env.CODEX_SESSION).toBeUndefined();
    expect(JSON.stringify(child.env)).not.toContain('sk-seeded-secret');
    expect(stderr).not.toContain('sk-seeded-secret');
  });

  it('leaves the supervisor itself without root: uid, gid and capabilities from /proc', async () => {
    const slot = makeSlot();
    const { report: child } = await report(slot.env);
    expect(child.parent.uid).toEqual(['10001', '10001', '10001', '10001']);
    expect(child.parent.gid).toEqual(['10001', '10001', '10001', '10001']);
    expect(child.parent.capEff).toBe('0000000000000000');
  });

  it('keeps supplementary groups the container gave (fsGroup) and a group-writable workspace group, never gid 0', async () => {
    const slot = makeSlot();
    fs.mkdirSync(slot.workspace, { recursive: true });
    fs.chownSync(slot.workspace, 10001, 5555);
    fs.chmodSync(slot.workspace, 0o2775);
    // As a Kubernetes pod with fsGroup 4242 starts its root process: supplementary groups 0 and 4242.
    const { report: child } = await report(slot.env, ['setpriv', '--groups', '0,4242', '--reuid', '0', '--regid', '0']);
    expect([...child.groups].sort()).toEqual([10001, 4242, 5555].sort());
    expect(child.parent.groups.map(Number).sort()).toEqual([10001, 4242, 5555].sort());
  });

  it('writes the compile cache before the drop, though the process then exits as 10001', async () => {
    const slot = makeSlot();
    const cache = tempDir(); // root's, 0755: not writable by the agent
    const { report: child } = await report({ ...slot.env, NODE_COMPILE_CACHE: cache });
    const written = fs.readdirSync(cache).flatMap((dir) => fs.readdirSync(path.join(cache, dir)));
    expect(written.length).toBeGreaterThan(0);
    expect(child.env.NODE_COMPILE_CACHE).toBeUndefined();
  });

  it('sets CLAUDE_CONFIG_DIR for claude', async () => {
    const slot = makeSlot('claude');
    const { report: child } = await report(slot.env);
    expect(child.env.CLAUDE_CONFIG_DIR).toBe(slot.configDir);
    expect(child.env.CODEX_HOME).toBeUndefined();
  });

  it('runs as the current user when started without root, skipping root-only steps with one line each', async () => {
    const slot = makeSlot();
    fs.mkdirSync(slot.home, { recursive: true });
    fs.chownSync(slot.home, 10001, 10001);
    fs.chownSync(path.dirname(slot.shared), 10001, 10001);
    const { report: child, stderr } = await report({ ...slot.env }, ['setpriv', '--reuid', '10001', '--regid', '10001', '--clear-groups']);
    expect(child.uid).toBe(10001);
    expect(stderr).toContain('not running as root: ownership migration skipped');
    expect(stderr).toContain('not running as root: privilege drop skipped');
  });

  it('warns when started as a non-root uid other than AGENT_UID', async () => {
    const slot = makeSlot();
    fs.mkdirSync(slot.home, { recursive: true });
    fs.chownSync(slot.home, 10002, 10002);
    fs.chownSync(path.dirname(slot.shared), 10002, 10002);
    const { stderr } = await report(slot.env, ['setpriv', '--reuid', '10002', '--regid', '10002', '--clear-groups']);
    expect(stderr).toContain('AGENT_UID is 10001');
  });

  it('leaves a host bind mount owned by another uid alone and explains the remedies instead of failing later', async () => {
    const slot = makeSlot();
    const host = tempDir();
    fs.chownSync(host, 501, 20); // a macOS host user's project directory
    fs.mkdirSync(slot.workspace, { recursive: true });
    const script = `mount --bind '${host}' '${slot.workspace}' && "$@"`;
    const result = await runBundle(['true'], { env: slot.env, wrap: ['unshare', '--mount', 'sh', '-c', script, 'sh'] });
    expect(result.exitCode, result.stderr).toBe(0);
    expect(fs.statSync(host).uid).toBe(501);
    expect(result.stderr).toContain('is not writable by uid 10001');
    expect(result.stderr).toContain(':U');
    expect(result.stderr).toContain('fsGroup');
  });

  it('does not warn about a workspace the agent can write', async () => {
    const slot = makeSlot();
    const result = await runBundle(['true'], { env: slot.env });
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stderr).not.toContain('is not writable');
  });
});

describe('a symlink the agent plants anywhere on a path root creates is not followed', () => {
  it('refuses a nested AGENT_CONFIG_DIR whose parent the agent replaced with a link', async () => {
    const slot = makeSlot();
    const configDir = path.join(slot.home, '.config', 'codex');
    const env = { ...slot.env, AGENT_CONFIG_DIR: configDir };
    expect((await runBundle(['true'], { env })).exitCode).toBe(0);
    // As the agent, in its own home: .config becomes a link to a root-only directory.
    const rootOnly = tempDir();
    fs.chmodSync(rootOnly, 0o700);
    fs.rmSync(path.join(slot.home, '.config'), { recursive: true });
    fs.symlinkSync(rootOnly, path.join(slot.home, '.config'));
    fs.lchownSync(path.join(slot.home, '.config'), 10001, 10001);
    const result = await runBundle(['true'], { env: { ...env, AGENT_FIX_OWNERSHIP: 'false' } });
    expect(result.exitCode).toBe(78);
    expect(result.stderr).toContain(`goes through ${path.join(slot.home, '.config')}`);
    expect(fs.readdirSync(rootOnly)).toEqual([]);
    expect(fs.statSync(rootOnly)).toMatchObject({ uid: 0, mode: expect.any(Number) });
    expect(fs.statSync(rootOnly).mode & 0o777).toBe(0o700);
  });
});


describe('what the boot creates and seeds, as root', () => {
  const stat = (file: string) => {
    const s = fs.statSync(file);
    return { uid: s.uid, gid: s.gid, mode: (s.mode & 0o7777).toString(8) };
  };

  it('creates every managed directory as the agent, with its mode; repairs a root-owned shared home', async () => {
    const slot = makeSlot();
    fs.mkdirSync(slot.shared, { mode: 0o500 }); // a volume mount that came up root-owned and closed
    const result = await runBundle(['true'], { env: slot.env });
    expect(result.exitCode, result.stderr).toBe(0);
    expect(stat(slot.home)).toEqual({ uid: 10001, gid: 10001, mode: '755' });
    expect(stat(slot.configDir)).toEqual({ uid: 10001, gid: 10001, mode: '700' });
    expect(stat(slot.workspace)).toEqual({ uid: 10001, gid: 10001, mode: '755' });
    expect(stat(slot.shared)).toEqual({ uid: 10001, gid: 10001, mode: '700' });
    expect(result.logs.find((line) => line.step === 'directories')).toMatchObject({ [slot.shared]: 'repaired', [slot.home]: 'created' });
  });

  it('seeds auth.json from CODEX_SESSION into an empty slot: the variable as given, 0600, agent-owned', async () => {
    const slot = makeSlot();
    const session = `${JSON.stringify({ auth_mode: 'apikey', OPENAI_API_KEY: 'sk-seed-written-123456789', last_refresh: '2026-01-01T00:00:00Z', extra: [1] })}`;
    const result = await runBundle(['true'], { env: { ...slot.env, CODEX_SESSION: session } });
    expect(result.exitCode, result.stderr).toBe(0);
    const file = path.join(slot.configDir, 'auth.json');
    expect(fs.readFileSync(file, 'utf8')).toBe(session);
    expect(stat(file)).toEqual({ uid: 10001, gid: 10001, mode: '600' });
    expect(result.logs.find((line) => line.step === 'seed')).toMatchObject({ action: 'written', reason: 'absent' });
    expect(result.stderr).not.toContain('sk-seed-written');
  });

  it('replaces auth.json only with a seed whose last_refresh is newer', async () => {
    const slot = makeSlot();
    const file = path.join(slot.configDir, 'auth.json');
    fs.mkdirSync(slot.configDir, { recursive: true });
    const onDisk = JSON.stringify({ OPENAI_API_KEY: 'sk-on-disk-0000000000', last_refresh: '2026-01-01 00:00:00+01:00' });
    fs.writeFileSync(file, onDisk, { mode: 0o600 });
    const older = JSON.stringify({ OPENAI_API_KEY: 'sk-seed-older-000000000', last_refresh: '2025-12-31T22:00:00Z' });
    const kept = await runBundle(['true'], { env: { ...slot.env, CODEX_SESSION: older } });
    expect(kept.logs.find((line) => line.step === 'seed')).toMatchObject({ action: 'kept', reason: 'not-newer' });
    expect(fs.readFileSync(file, 'utf8')).toBe(onDisk);
    const newer = JSON.stringify({ OPENAI_API_KEY: 'sk-seed-newer-000000000', last_refresh: '2026-01-01T00:00:01Z' });
    const replaced = await runBundle(['true'], { env: { ...slot.env, CODEX_SESSION: newer } });
    expect(replaced.logs.find((line) => line.step === 'seed')).toMatchObject({ action: 'written', reason: 'newer' });
    expect(fs.readFileSync(file, 'utf8')).toBe(newer);
    expect(stat(file)).toEqual({ uid: 10001, gid: 10001, mode: '600' });
  });
});
