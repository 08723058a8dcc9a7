// auth-init through the real bundle, as root: the boot's directory steps and the privilege drop,
// then a fixture login command (test/fixtures/login.mjs) that writes credentials, writes nothing,
// fails or hangs. The real CLIs' logins need the network and a person; the fixture stands in for
// them and prints the same kind of device-code prompt.
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { codexAuth } from './fixtures/credentials.mjs';
import { FIXTURES, NODE, runBundle, startBundle, type BundleResult } from './helpers/bundle.js';
import { waitForOutput } from './helpers/process.js';
import { AGENT_UID, bootedSlot, expectNoSecrets, lastJsonLine, writeCredentials, type Agent } from './helpers/probes.js';
import { makeSlot, type Slot } from './helpers/slot.js';
import { removeTempDirs, snapshot, tempDir } from './helpers/tree.js';

afterEach(removeTempDirs);

const LOGIN = path.join(FIXTURES, 'login.mjs');

interface Run {
  result: BundleResult;
  json: Record<string, unknown>;
  /** Lines the fixture login appended: one per run, with the uid it ran as. */
  ran: string[];
}

async function authInit(slot: Slot, mode: string | undefined, env: Record<string, string> = {}): Promise<Run> {
  const markerDir = tempDir();
  fs.chmodSync(markerDir, 0o777);
  const marker = path.join(markerDir, 'ran');
  const login = mode === undefined ? {} : { AGENT_LOGIN_COMMAND: `"${NODE}" "${LOGIN}" ${mode}` };
  const result = await runBundle(['auth-init'], { env: { ...slot.env, LOGIN_MARKER: marker, ...login, ...env } });
  const ran = fs.existsSync(marker) ? fs.readFileSync(marker, 'utf8').trim().split('\n') : [];
  expectNoSecrets(result);
  return { result, json: lastJsonLine(result), ran };
}

function expectStatus(run: Run, code: number, status: string): void {
  expect(run.result.exitCode, `${run.result.stdout}\n${run.result.stderr}`).toBe(code);
  expect(run.json).toMatchObject({ status, exit_code: code });
  expect(run.result.stderr).toContain(`auth-init: ${status} (${code}): `);
}

describe('auth-init with a login command', () => {
  it('runs the login as the agent, passes its prompt through, and checks what it wrote: 0', async () => {
    const slot = makeSlot('codex');
    const run = await authInit(slot, 'write-codex');
    expectStatus(run, 0, 'authenticated');
    expect(run.ran).toEqual([`write-codex uid=${AGENT_UID}`]);
    expect(run.result.stdout).toContain('enter the code FIXT-0042');
    expect(run.json).toMatchObject({ agent: 'codex', artifacts: ['auth.json'], login_exit_code: 0, reason: 'valid' });
    expect(typeof run.json.duration_ms).toBe('number');
    const stat = fs.statSync(path.join(slot.configDir, 'auth.json'));
    expect([stat.uid, stat.mode & 0o777]).toEqual([AGENT_UID, 0o600]);
    // The boot's directory steps ran first: the config dir exists, private and the agent's.
    const dir = fs.statSync(slot.configDir);
    expect([dir.uid, dir.mode & 0o777]).toEqual([AGENT_UID, 0o700]);
  });

  it('works for claude with a login that writes .credentials.json', async () => {
    const slot = makeSlot('claude');
    const run = await authInit(slot, 'write-claude');
    expectStatus(run, 0, 'authenticated');
    expect(run.json.artifacts).toEqual(['.credentials.json']);
  });

  for (const agent of ['codex', 'claude'] as const) {
    it(`1 when the ${agent} login exits 0 but writes only the CLI's state files, no credentials`, async () => {
      const run = await authInit(makeSlot(agent), 'write-other');
      expectStatus(run, 1, 'no-credentials');
      expect(run.json.detail).toContain('no credentials were written');
      expect(run.json.artifacts).toEqual([]);
    });
  }

  it('1 when the login writes nothing at all', async () => {
    const run = await authInit(makeSlot('codex'), 'nothing');
    expectStatus(run, 1, 'no-credentials');
  });

  it("1 when the login fails, with the login's exit code", async () => {
    const run = await authInit(makeSlot('codex'), 'fail');
    expectStatus(run, 1, 'login-failed');
    expect(run.json).toMatchObject({ reason: 'exit-code', login_exit_code: 3 });
    expect(run.result.stderr).toContain('the device code expired');
  });

  it('1 when the login command does not exist', async () => {
    const run = await authInit(makeSlot('codex'), undefined, { AGENT_LOGIN_COMMAND: '/nonexistent/codex login' });
    expectStatus(run, 1, 'login-failed');
    expect(run.json.reason).toBe('spawn-error');
    expect(run.json.detail).toContain('AGENT_LOGIN_COMMAND');
  });

  it('66 when what the login wrote does not pass the smoke-test check', async () => {
    const run = await authInit(makeSlot('codex'), 'write-invalid');
    expectStatus(run, 66, 'creds-invalid');
    expect(run.json).toMatchObject({ reason: 'blanked', artifacts: ['auth.json'] });
  });

  it('124 when the login outlives AGENT_AUTH_INIT_TIMEOUT (it exits on SIGTERM)', async () => {
    const run = await authInit(makeSlot('codex'), 'hang', { AGENT_AUTH_INIT_TIMEOUT: '300ms' });
    expectStatus(run, 124, 'timeout');
    expect(run.json).toMatchObject({ login_signal: 'SIGTERM' });
    expect(run.json.detail).toContain('AGENT_AUTH_INIT_TIMEOUT (300ms)');
  });

  it('124 with SIGKILL after AGENT_STOP_GRACE when the login ignores SIGTERM', async () => {
    const run = await authInit(makeSlot('codex'), 'hang-hard', { AGENT_AUTH_INIT_TIMEOUT: '300ms', AGENT_STOP_GRACE: '300ms' });
    expectStatus(run, 124, 'timeout');
    expect(run.json).toMatchObject({ login_signal: 'SIGKILL' });
    expect(run.result.stdout).toContain('ignoring SIGTERM');
    expect(run.json.detail).toContain('then SIGKILL after AGENT_STOP_GRACE');
  });
});

describe('auth-init stopped by its job', () => {
  it('passes SIGTERM on to the login and exits 143 (interrupted)', async () => {
    const slot = makeSlot('codex');
    const running = startBundle(['auth-init'], { env: { ...slot.env, AGENT_LOGIN_COMMAND: `"${NODE}" "${LOGIN}" hang` } });
    await waitForOutput(running.stdout, 'READY');
    running.kill('SIGTERM');
    const result = await running;
    expect(result.exitCode).toBe(143);
    expect(lastJsonLine({ stdout: String(result.stdout) } as BundleResult)).toMatchObject({ status: 'interrupted', login_signal: 'SIGTERM', exit_code: 143 });
  });
});

describe('auth-init when the slot is already logged in', () => {
  it('0 already-authenticated without running the login', async () => {
    const slot = bootedSlot('codex');
    writeCredentials(slot, 'codex', codexAuth('valid'));
    const before = snapshot(slot.configDir);
    const run = await authInit(slot, 'write-codex');
    expectStatus(run, 0, 'already-authenticated');
    expect(run.ran).toEqual([]);
    expect(run.json.detail).toContain('AGENT_AUTH_INIT_FORCE=true');
    expect(snapshot(slot.configDir)).toEqual(before);
  });

  it('environment credentials count as logged in', async () => {
    const run = await authInit(makeSlot('codex'), 'write-codex', { OPENAI_API_KEY: 'sk-env-secret-0c9d8e7f6a5b' });
    expectStatus(run, 0, 'already-authenticated');
    expect(run.ran).toEqual([]);
  });

  it('AGENT_AUTH_INIT_FORCE=true logs in again and reports the replaced file', async () => {
    const slot = bootedSlot('codex');
    writeCredentials(slot, 'codex', codexAuth('valid'));
    const run = await authInit(slot, 'write-codex', { AGENT_AUTH_INIT_FORCE: 'true' });
    expectStatus(run, 0, 'authenticated');
    expect(run.ran).toHaveLength(1);
    expect(run.json.artifacts).toEqual(['auth.json']);
  });

  it('invalid credentials are replaced without FORCE', async () => {
    const slot = bootedSlot('codex');
    writeCredentials(slot, 'codex', codexAuth('blanked'));
    const run = await authInit(slot, 'write-codex');
    expectStatus(run, 0, 'authenticated');
  });
});

describe('auth-init refusals', () => {
  it("78 at once for claude's own login when stdin is not a terminal, with the docker and kubectl hints", async () => {
    const slot = makeSlot('claude');
    const run = await authInit(slot, undefined);
    expect(run.result.exitCode).toBe(78);
    expect(run.json).toMatchObject({ status: 'error', reason: 'config', exit_code: 78 });
    for (const hint of ['claude auth login needs a terminal', 'docker run -it', 'kubectl attach -it', 'stdin: true', 'tty: true', 'CLAUDE_CODE_OAUTH_TOKEN']) {
      expect(run.json.detail).toContain(hint);
    }
    expect(run.ran).toEqual([]);
  });

  it('78 for a malformed AGENT_LOGIN_COMMAND, before anything is touched', async () => {
    const slot = makeSlot('codex');
    const result = await runBundle(['auth-init'], { env: { ...slot.env, AGENT_LOGIN_COMMAND: 'codex "login' } });
    expect(result.exitCode).toBe(78);
    expect(lastJsonLine(result)).toMatchObject({ status: 'error', exit_code: 78 });
    expect(result.stderr).toContain('AGENT_LOGIN_COMMAND has an unterminated double quote');
    expect(fs.existsSync(slot.home)).toBe(false);
  });

  it('78 for an argument', async () => {
    const slot = makeSlot('codex' as Agent);
    const result = await runBundle(['auth-init', '--force'], { env: slot.env });
    expect(result.exitCode).toBe(78);
    expect(result.stderr).toContain('auth-init takes no arguments');
    expect(fs.existsSync(slot.home)).toBe(false);
  });
});
