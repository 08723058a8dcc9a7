// doctor through the real bundle, as root (it drops to the agent): a healthy slot passes, then each
// probe is forced to fail for real (ownership, modes, a broken CLI, a bad layer, a socket) and its
// evidence is asserted. Two things cannot be made real here and are stood in for, said where:
// a Docker daemon (none runs on this machine) and a kernel that refuses user namespaces.
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { codexAuth } from './fixtures/credentials.mjs';
import { runBundle, type BundleResult } from './helpers/bundle.js';
import { AGENT_UID, bootedSlot, expectNoSecrets, fixtureCli, pathWith, writeCredentials, type CliKind } from './helpers/probes.js';
import type { Slot } from './helpers/slot.js';
import { removeTempDirs, tempDir, writeTree } from './helpers/tree.js';
import { runProbe } from '../src/probes/doctor.js';
import type { ProbeVerdict } from '../src/probes/types.js';

afterEach(removeTempDirs);

interface Probe {
  name: string;
  severity: string;
  result: string;
  detail: string;
  evidence?: Record<string, unknown>;
}

/** A slot that passes every hard probe: booted, logged in, a working CLI, a valid defaults layer. */
function healthySlot(sandbox = 'danger-full-access'): Slot {
  const slot = bootedSlot('codex');
  writeCredentials(slot, 'codex', codexAuth('valid'));
  writeTree(slot.defaults, { 'config.toml': `sandbox_mode = "${sandbox}"\n` });
  writeTree(slot.configDir, { 'config.toml': `sandbox_mode = "${sandbox}"\n` });
  fs.chownSync(path.join(slot.configDir, 'config.toml'), AGENT_UID, AGENT_UID);
  return slot;
}

async function doctor(slot: Slot, options: { cli?: CliKind; env?: Record<string, string>; path?: string; args?: string[]; wrap?: string[] } = {}) {
  const bin = fixtureCli('codex', options.cli ?? 'version');
  const result = await runBundle(['doctor', ...(options.args ?? ['--json'])], {
    env: { ...slot.env, PATH: options.path ?? pathWith(bin), ...options.env },
    wrap: options.wrap,
  });
  expectNoSecrets(result);
  return result;
}

function probes(result: BundleResult): Record<string, Probe> {
  const report = JSON.parse(result.stdout) as { probes: Probe[] };
  return Object.fromEntries(report.probes.map((probe) => [probe.name, probe]));
}

const HARD = ['agent_uid_pinned', 'config_dir_writable', 'agent_home_writable', 'workspace_writable', 'credentials_valid', 'credentials_owned_by_agent', 'cli_runs', 'cli_accepts_config', 'layers_valid'];

describe('doctor on a healthy slot', () => {
  it('passes every hard probe and exits 0, as the agent', async () => {
    const result = await doctor(healthySlot());
    expect(result.exitCode, result.stdout).toBe(0);
    const report = JSON.parse(result.stdout) as { ok: boolean; uid: number; failed: string[]; probes: Probe[] };
    expect(report).toMatchObject({ ok: true, uid: AGENT_UID, failed: [], exit_code: 0 });
    expect(report.probes.map((probe) => probe.name)).toEqual([...HARD, 'docker_socket_reachable', 'user_namespaces']);
    for (const name of HARD) expect(probes(result)[name]).toMatchObject({ severity: 'hard', result: 'pass' });
    expect(probes(result).docker_socket_reachable).toMatchObject({ severity: 'advisory', result: 'skip' });
  });

  it('prints a table for humans by default', async () => {
    const result = await doctor(healthySlot(), { args: [] });
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toMatch(/^doctor: codex slot, probes run as uid 10001\n\nPROBE +SEVERITY +RESULT +DETAIL\n/);
    expect(result.stdout).toMatch(/\ncli_runs +hard +pass +.*--version printed fixture-cli 1\.0\.0\n/);
    expect(result.stdout).toContain('every hard probe passed');
  });

  it('78 for a configuration error: with --json, still one JSON object on stdout', async () => {
    const slot = healthySlot();
    const result = await doctor(slot, { env: { AGENT_UID: 'abc' } });
    expect(result.exitCode).toBe(78);
    expect(JSON.parse(result.stdout)).toMatchObject({ ok: false, agent: 'codex', exit_code: 78, probes: [] });
    expect(JSON.parse(result.stdout).error).toContain('AGENT_UID');
    expect(result.stderr).toMatch(/^FATAL: .*AGENT_UID/);
    const table = await doctor(slot, { env: { AGENT_UID: 'abc' }, args: [] });
    expect(table.exitCode).toBe(78);
    expect(table.stdout).toBe('');
  });

  it('78 for an unknown argument', async () => {
    const result = await doctor(healthySlot(), { args: ['--yaml'] });
    expect(result.exitCode).toBe(78);
    expect(result.stderr).toContain('doctor accepts only --json');
  });
});

describe('doctor: each probe forced to fail, with its evidence', () => {
  it('agent_uid_pinned: AGENT_UID is not the pinned 10001', async () => {
    const result = await doctor(healthySlot(), { env: { AGENT_UID: '1000', AGENT_GID: '1000' } });
    expect(result.exitCode).toBe(1);
    expect(probes(result).agent_uid_pinned).toMatchObject({
      result: 'fail',
      evidence: { operation: 'read AGENT_UID and AGENT_GID', observed: '1000:1000', expected: '10001:10001' },
    });
  });

  it("agent_uid_pinned: the container's user is not AGENT_UID (runAsUser 1000)", async () => {
    const slot = healthySlot();
    const result = await doctor(slot, { wrap: ['setpriv', '--reuid', '1000', '--regid', '1000', '--clear-groups'] });
    expect(result.exitCode).toBe(1);
    expect(probes(result).agent_uid_pinned).toMatchObject({ result: 'fail', evidence: { operation: 'getuid(), getgid()', observed: '1000:1000', expected: '10001:10001' } });
    expect(probes(result).agent_uid_pinned!.detail).toContain('runAsUser');
  });

  it('config_dir_writable: the config dir belongs to uid 1000', async () => {
    const slot = healthySlot();
    fs.chownSync(slot.configDir, 1000, 1000);
    const probe = probes(await doctor(slot)).config_dir_writable!;
    expect(probe).toMatchObject({ result: 'fail', evidence: { errno: 'EACCES', path: slot.configDir, owner_uid: 1000, mode: '700' } });
    expect(probe.evidence!.operation).toMatch(/^open\(.*\.agent-entrypoint\.tmp\.doctor\..*, O_WRONLY\|O_CREAT\|O_EXCL\|O_NOFOLLOW, 0600\)$/);
  });

  it('agent_home_writable: AGENT_SHARED_HOME came up root-owned', async () => {
    const slot = healthySlot();
    fs.chownSync(slot.shared, 0, 0);
    const probe = probes(await doctor(slot)).agent_home_writable!;
    expect(probe).toMatchObject({ result: 'fail', evidence: { errno: 'EACCES', path: slot.shared, owner_uid: 0, mode: '755' } });
    expect(probe.detail).toContain('AGENT_SHARED_HOME');
  });

  it('workspace_writable: the workspace does not exist', async () => {
    const slot = healthySlot();
    fs.rmSync(slot.workspace, { recursive: true });
    const probe = probes(await doctor(slot)).workspace_writable!;
    expect(probe).toMatchObject({ result: 'fail', evidence: { errno: 'ENOENT', path: slot.workspace } });
    expect(probe.detail).toContain('does not exist');
  });

  it('credentials_valid: blanked tokens', async () => {
    const slot = healthySlot();
    const file = writeCredentials(slot, 'codex', codexAuth('blanked'));
    const probe = probes(await doctor(slot)).credentials_valid!;
    expect(probe).toMatchObject({ result: 'fail', evidence: { operation: `judge the content of ${file}`, observed: 'blanked', path: file } });
  });

  it('credentials_owned_by_agent: a readable auth.json that belongs to uid 1000', async () => {
    const slot = healthySlot();
    const file = writeCredentials(slot, 'codex', codexAuth('valid'), { owner: 1000, mode: 0o644 });
    const result = await doctor(slot);
    expect(probes(result).credentials_valid!.result).toBe('pass');
    expect(probes(result).credentials_owned_by_agent).toMatchObject({ result: 'fail', evidence: { operation: `lstat(${file})`, owner_uid: 1000, mode: '644', expected: AGENT_UID } });
  });

  it('cli_accepts_config: the CLI refuses the merged config (a key of the wrong type), with its own message', async () => {
    const slot = healthySlot();
    const good = probes(await doctor(slot, { cli: 'config-check' })).cli_accepts_config!;
    expect(good).toMatchObject({ severity: 'hard', result: 'pass' });
    fs.writeFileSync(path.join(slot.configDir, 'config.toml'), 'sandbox_mode = 5\n');
    const result = await doctor(slot, { cli: 'config-check' });
    expect(result.exitCode).toBe(1);
    const probe = probes(result).cli_accepts_config!;
    expect(probe).toMatchObject({ result: 'fail', evidence: { exit_code: 1, path: path.join(slot.configDir, 'config.toml') } });
    expect(probe.detail).toContain('Error loading configuration');
    expect(String(probe.evidence?.operation)).toMatch(/codex login status$/);
    expect(String(probe.evidence?.stderr_tail)).toContain('wanted string or table');
  });

  it('cli_accepts_config: a check that crashes (exit 101, or killed) is a failure with its evidence, not a pass', async () => {
    const slot = healthySlot();
    const crashed = probes(await doctor(slot, { cli: 'config-check', env: { FIXTURE_LOGIN_STATUS: 'exit-101' } })).cli_accepts_config!;
    expect(crashed).toMatchObject({ result: 'fail', evidence: { exit_code: 101 } });
    expect(crashed.detail).toContain('exited with 101 (expected 0 or 1)');
    expect(String(crashed.evidence?.stderr_tail)).toContain('panicked');
    const killed = probes(await doctor(slot, { cli: 'config-check', env: { FIXTURE_LOGIN_STATUS: 'kill' } })).cli_accepts_config!;
    expect(killed).toMatchObject({ result: 'fail', evidence: { signal: 'SIGKILL' } });
  });

  it('cli_runs: --version exits 1, with the end of its stderr', async () => {
    const probe = probes(await doctor(healthySlot(), { cli: 'fail' })).cli_runs!;
    expect(probe).toMatchObject({ result: 'fail', evidence: { exit_code: 1 } });
    expect(probe.evidence!.operation).toMatch(/\/codex --version$/);
    expect(probe.evidence!.stderr_tail).toContain('Missing optional dependency');
  });

  it('layers_valid: an overlay TOML file that does not parse', async () => {
    const slot = healthySlot();
    writeTree(slot.overlay, { 'config.toml': 'model = [\n' });
    const probe = probes(await doctor(slot)).layers_valid!;
    expect(probe.result).toBe('fail');
    expect(probe.evidence!.operation).toBe(`plan layers ${slot.defaults} (AGENT_DEFAULTS_DIR) + ${slot.overlay} (AGENT_OVERLAY_DIR)`);
    expect(probe.evidence!.observed).toMatch(/config\.toml is invalid TOML at line 2/);
  });
});

/** A stand-in for the Docker daemon (none runs here): an HTTP server on a unix socket answering /_ping. */
async function fakeDocker(status: number, mode: number): Promise<{ socket: string; close: () => Promise<void> }> {
  const dir = tempDir();
  const socket = path.join(dir, 'docker.sock');
  const server = net.createServer((connection) => {
    connection.once('data', () => connection.end(`HTTP/1.1 ${status} X\r\nApi-Version: 1.47\r\nContent-Length: 2\r\nConnection: close\r\n\r\nOK`));
  });
  await new Promise<void>((resolve) => server.listen(socket, resolve));
  fs.chmodSync(socket, mode);
  return { socket, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

describe('doctor: docker_socket_reachable (advisory)', () => {
  it('passes when the mounted socket answers /_ping', async () => {
    const docker = await fakeDocker(200, 0o666);
    try {
      const result = await doctor(healthySlot(), { env: { DOCKER_HOST: `unix://${docker.socket}` } });
      expect(probes(result).docker_socket_reachable).toMatchObject({ result: 'pass', severity: 'advisory' });
    } finally {
      await docker.close();
    }
  });

  it('fails with EACCES when the agent may not connect, and never changes the exit code', async () => {
    const docker = await fakeDocker(200, 0o600);
    try {
      const result = await doctor(healthySlot(), { env: { DOCKER_HOST: `unix://${docker.socket}` } });
      expect(result.exitCode).toBe(0);
      const probe = probes(result).docker_socket_reachable!;
      expect(probe).toMatchObject({ result: 'fail', evidence: { operation: `connect(${docker.socket})`, errno: 'EACCES', owner_uid: 0, mode: '600' } });
      expect(probe.detail).toContain('supplementalGroups');
      expect(JSON.parse(result.stdout).warnings).toEqual(['docker_socket_reachable']);
    } finally {
      await docker.close();
    }
  });

  it('fails when the socket answers, but not as a Docker API', async () => {
    const docker = await fakeDocker(404, 0o666);
    try {
      const probe = probes(await doctor(healthySlot(), { env: { DOCKER_HOST: `unix://${docker.socket}` } })).docker_socket_reachable!;
      expect(probe).toMatchObject({ result: 'fail', evidence: { operation: `GET /_ping on ${docker.socket}`, observed: 404, expected: 200 } });
    } finally {
      await docker.close();
    }
  });

  it('fails with ECONNREFUSED when nothing listens (a stale socket file)', async () => {
    const docker = await fakeDocker(200, 0o666);
    await docker.close(); // node removes the socket; leave a writable file where it was
    fs.writeFileSync(docker.socket, '');
    fs.chmodSync(docker.socket, 0o666);
    const probe = probes(await doctor(healthySlot(), { env: { DOCKER_HOST: `unix://${docker.socket}` } })).docker_socket_reachable!;
    expect(probe).toMatchObject({ result: 'fail', evidence: { operation: `connect(${docker.socket})`, errno: 'ECONNREFUSED' } });
  });

  it('is skipped for a tcp DOCKER_HOST', async () => {
    const probe = probes(await doctor(healthySlot(), { env: { DOCKER_HOST: 'tcp://127.0.0.1:2375' } })).docker_socket_reachable!;
    expect(probe).toMatchObject({ result: 'skip' });
  });
});

/**
 * A stand-in for a kernel that refuses user namespaces: an `unshare` first on PATH that fails as
 * util-linux does there. Refusing them for real needs a machine-wide sysctl, which would break
 * every other process on the machine.
 */
function refusingUnshare(): string {
  const bin = tempDir('ae-bin-');
  fs.writeFileSync(path.join(bin, 'unshare'), '#!/bin/sh\necho "unshare: unshare failed: Operation not permitted" >&2\nexit 1\n', { mode: 0o755 });
  return bin;
}

describe('doctor: user_namespaces (advisory)', () => {
  it("fails with the evidence, and says codex's sandbox will fail when sandbox_mode is not danger-full-access", async () => {
    const slot = healthySlot('workspace-write');
    const result = await doctor(slot, { path: `${refusingUnshare()}:${pathWith(fixtureCli('codex', 'version'))}` });
    expect(result.exitCode).toBe(0);
    const probe = probes(result).user_namespaces!;
    expect(probe).toMatchObject({ result: 'fail', severity: 'advisory', evidence: { operation: 'unshare --user --map-root-user true', exit_code: 1 } });
    expect(probe.evidence!.stderr_tail).toContain('Operation not permitted');
    expect(probe.detail).toContain('"workspace-write"');
    expect(probe.detail).toContain('No permissions to create new namespace');
    expect(probe.detail).toContain('sandbox_mode = "danger-full-access"');
  });

  it('says it is harmless when codex runs with danger-full-access', async () => {
    const slot = healthySlot('danger-full-access');
    const probe = probes(await doctor(slot, { path: `${refusingUnshare()}:${pathWith(fixtureCli('codex', 'version'))}` })).user_namespaces!;
    expect(probe.result).toBe('fail');
    expect(probe.detail).toContain('harmless here');
  });
});

describe('the probe runner', () => {
  it('turns a failure without evidence into a reported bug', async () => {
    const bare = { result: 'fail', detail: 'something is off' } as unknown as ProbeVerdict;
    const result = await runProbe({ name: 'bare', severity: 'hard', run: () => bare });
    expect(result).toMatchObject({ result: 'fail', evidence: { operation: 'probe bare' } });
    expect(result.detail).toContain('a bug');
  });

  it('turns a probe that throws into a failure with evidence', async () => {
    const result = await runProbe({
      name: 'crash',
      severity: 'advisory',
      run: () => {
        throw new Error('boom');
      },
    });
    expect(result).toMatchObject({ result: 'fail', severity: 'advisory', evidence: { operation: 'probe crash' } });
    expect(result.detail).toContain('boom');
  });
});

describe('doctor: the table shows evidence under a failure', () => {
  it('lists the operation and errno beneath the failing row and names it at the end', async () => {
    const slot = healthySlot();
    fs.chownSync(slot.configDir, 1000, 1000);
    const result = await doctor(slot, { args: [] });
    expect(result.exitCode).toBe(1);
    expect(result.stdout).toMatch(/\nconfig_dir_writable +hard +FAIL +AGENT_CONFIG_DIR .* is not writable by uid 10001.*\n +operation: open\(/);
    expect(result.stdout).toMatch(/\n +errno: EACCES\n/);
    expect(result.stdout).toMatch(/hard probes? failed: .*config_dir_writable/);
  });
});
