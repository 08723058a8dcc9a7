// The command line and environment contract, through the real bundle.
import fs from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { afterEach, describe, expect, it } from 'vitest';
import { BUNDLE, NODE, runBundle } from './helpers/bundle.js';
import { makeSlot } from './helpers/slot.js';
import { removeTempDirs, snapshot, tempDir } from './helpers/tree.js';

afterEach(removeTempDirs);

describe('the bundle', () => {
  it('runs alone: copied into an empty directory with no node_modules, --version and --help work', async () => {
    const dir = tempDir();
    const copy = path.join(dir, 'agent-entrypoint.cjs');
    fs.copyFileSync(BUNDLE, copy);
    const env = { PATH: path.dirname(NODE) };
    const version = await execa(NODE, [copy, '--version'], { cwd: dir, env, extendEnv: false, reject: false });
    expect(version.exitCode).toBe(0);
    expect(version.stdout).toMatch(/^agent-entrypoint \d+\.\d+\.\d+$/);
    const help = await execa(NODE, [copy, '--help'], { cwd: dir, env, extendEnv: false, reject: false });
    expect(help.exitCode).toBe(0);
    expect(help.stdout).toContain('Usage: agent-entrypoint [MODE] [ARGS...]');
    expect(fs.readdirSync(dir)).toEqual(['agent-entrypoint.cjs']);
  });

  it('bin/agent-entrypoint runs the bundle', async () => {
    const result = await execa(path.resolve('bin/agent-entrypoint'), ['--version'], { reject: false, env: { PATH: `${path.dirname(NODE)}:/usr/bin:/bin` }, extendEnv: false });
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toMatch(/^agent-entrypoint /);
  });

  for (const mode of ['run', 'smoke-test', 'auth-init', 'refresh', 'doctor']) {
    it(`answers --help and --version in ${mode} mode, without AGENT set`, async () => {
      const help = await runBundle([mode, '--help']);
      expect(help.exitCode).toBe(0);
      expect(help.stdout).toContain('Usage:');
      const version = await runBundle([mode, '--version']);
      expect(version.exitCode).toBe(0);
      expect(version.stdout).toMatch(/^agent-entrypoint /);
    });
  }

  it('modes other than run take --help and --version after their own flags; run passes them to the command', async () => {
    const help = await runBundle(['doctor', '--json', '--help']);
    expect(help.exitCode).toBe(0);
    expect(help.stdout).toContain('Usage:');
    const version = await runBundle(['refresh', '--once', '--version']);
    expect(version.exitCode).toBe(0);
    expect(version.stdout).toMatch(/^agent-entrypoint /);
    // `run sh -c ... --help`: the command's own argument, so the command runs (and no usage is printed).
    const slot = makeSlot();
    const passed = await runBundle(['run', 'sh', '-c', 'echo "child got $0"', '--help'], { env: slot.env });
    expect(passed.exitCode).toBe(0);
    expect(passed.stdout).toContain('child got --help');
    expect(passed.stdout).not.toContain('Usage:');
  });
});

describe('environment errors exit 78 with one FATAL line naming the variable, before touching anything', () => {
  const cases: Array<[string, Record<string, string>, string[]]> = [
    ['AGENT missing', { AGENT: '' }, ['AGENT', 'codex, claude']],
    ['AGENT unknown', { AGENT: 'gemini' }, ['AGENT', '"gemini"', 'codex, claude']],
    ['AGENT_MODE unknown', { AGENT_MODE: 'serve' }, ['AGENT_MODE', '"serve"', 'smoke-test']],
    ['AGENT_UID not numeric', { AGENT_UID: 'abc' }, ['AGENT_UID', '"abc"']],
    ['AGENT_UID negative', { AGENT_UID: '-5' }, ['AGENT_UID', '"-5"']],
    ['AGENT_GID not numeric', { AGENT_GID: '10001x' }, ['AGENT_GID']],
    ['AGENT_UID root', { AGENT_UID: '0' }, ['AGENT_UID', 'AGENT_ALLOW_ROOT']],
    ['AGENT_STOP_GRACE bad', { AGENT_STOP_GRACE: '10 seconds' }, ['AGENT_STOP_GRACE', '500ms, 10s']],
    ['AGENT_FIX_OWNERSHIP bad', { AGENT_FIX_OWNERSHIP: 'maybe' }, ['AGENT_FIX_OWNERSHIP', 'true or false']],
    ['AGENT_HOME relative', { AGENT_HOME: 'home/codex' }, ['AGENT_HOME', 'absolute']],
    ['LOG_LEVEL unknown', { LOG_LEVEL: 'loud' }, ['LOG_LEVEL', 'debug']],
    ['LOG_FORMAT unknown', { LOG_FORMAT: 'xml' }, ['LOG_FORMAT', 'pretty']],
    ['AGENT_HANDOVER_PATHS relative', { AGENT_HANDOVER_PATHS: '/configs:relative' }, ['AGENT_HANDOVER_PATHS', 'relative']],
  ];
  for (const [name, env, fragments] of cases) {
    it(name, async () => {
      const slot = makeSlot();
      const result = await runBundle(['true'], { env: { ...slot.env, ...env } });
      expect(result.exitCode).toBe(78);
      const lines = result.stderr.trim().split('\n');
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(/^FATAL: /);
      for (const fragment of fragments) expect(lines[0]).toContain(fragment);
      expect(fs.existsSync(slot.home)).toBe(false);
    });
  }

  it('AGENT_UID=0 is accepted with AGENT_ALLOW_ROOT=true', async () => {
    const slot = makeSlot();
    const result = await runBundle(['true'], { env: { ...slot.env, AGENT_UID: '0', AGENT_GID: '0', AGENT_ALLOW_ROOT: 'true' } });
    expect(result.exitCode, result.stderr).toBe(0);
  });

  it('never echoes a secret variable, even when it is the bad one', async () => {
    const slot = makeSlot();
    const secret = 'not-json-but-a-secret-4b1d9e7f0c';
    fs.mkdirSync(slot.configDir, { recursive: true });
    const before = snapshot(slot.configDir);
    const result = await runBundle(['true'], { env: { ...slot.env, CODEX_SESSION: secret, LOG_LEVEL: 'trace' } });
    expect(result.exitCode).toBe(78);
    expect(result.stderr).toContain('CODEX_SESSION is not valid JSON');
    expect(result.stderr + result.stdout).not.toContain(secret);
    expect(snapshot(slot.configDir)).toEqual(before);
  });

  it('lets the mode argument win over AGENT_MODE', async () => {
    const slot = makeSlot();
    const result = await runBundle(['run', 'true'], { env: { ...slot.env, AGENT_MODE: 'not-a-mode' } });
    expect(result.exitCode, result.stderr).toBe(0);
  });
});
