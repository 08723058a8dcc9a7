// Real containers: the images built by `npm run test:container`, run with podman.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeConfigMap } from '../helpers/kubelet.js';
import { until } from '../helpers/process.js';
import { removeTempDirs, tempDir } from '../helpers/tree.js';

const IMAGES = {
  codex: process.env.TEST_IMAGE_CODEX,
  claude: process.env.TEST_IMAGE_CLAUDE,
};
const started: string[] = [];

beforeAll(() => {
  if (!IMAGES.codex || !IMAGES.claude) throw new Error('run this suite through `npm run test:container`, which builds the images first');
});

afterAll(async () => {
  for (const name of started) await execa('podman', ['rm', '-f', '-t', '0', name], { reject: false });
  removeTempDirs();
});

function podman(args: string[], options: { input?: string } = {}) {
  return execa('podman', args, { reject: false, input: options.input, stdin: options.input === undefined ? 'ignore' : 'pipe' });
}

let counter = 0;
/** Starts a detached container and remembers it for cleanup. */
async function startContainer(image: string, args: string[], runOptions: string[] = []): Promise<string> {
  const name = `ae-test-${process.pid}-${counter++}`;
  const result = await podman(['run', '-d', '--name', name, ...runOptions, image, ...args]);
  expect(result.exitCode, String(result.stderr)).toBe(0);
  started.push(name);
  return name;
}

async function logsOf(name: string): Promise<string> {
  const result = await podman(['logs', name]);
  return `${String(result.stdout)}${String(result.stderr)}`;
}

async function waitForLog(name: string, text: string): Promise<string> {
  return until(async () => {
    const logs = await logsOf(name);
    return logs.includes(text) ? logs : undefined;
  }, 60_000, 200);
}

async function exitCodeOf(name: string): Promise<number> {
  const result = await podman(['inspect', name, '--format', '{{.State.ExitCode}}']);
  return Number(String(result.stdout).trim());
}

/** A JWT-shaped token with the given payload (unsigned: only its shape and exp are read). */
function jwt(payload: object): string {
  const part = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
  return `${part({ alg: 'RS256', typ: 'JWT' })}.${part(payload)}.c2lnbmF0dXJl`;
}

function validCodexAuth(): string {
  const exp = Math.floor(Date.now() / 1000) + 10 * 86_400;
  return JSON.stringify({
    auth_mode: 'chatgpt',
    OPENAI_API_KEY: null,
    tokens: {
      id_token: jwt({ exp, email: 'slot@example.com', 'https://api.openai.com/auth': { chatgpt_plan_type: 'pro' } }),
      access_token: jwt({ exp }),
      refresh_token: 'rt_container_fixture_0123456789abcdef',
      account_id: 'acct-fixture',
    },
    last_refresh: new Date().toISOString(),
  });
}

function ownersBelow(root: string): Set<number> {
  const uids = new Set<number>();
  const walk = (dir: string) => {
    uids.add(fs.lstatSync(dir).uid);
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else uids.add(fs.lstatSync(full).uid);
    }
  };
  walk(root);
  return uids;
}

for (const agent of ['codex', 'claude'] as const) {
  describe(`${agent} image: run mode`, () => {
    const image = () => IMAGES[agent]!;

    it('runs the child as uid 10001 with no effective capabilities, HOME set, /agent-home writable', async () => {
      const result = await podman(['run', '--rm', image(), 'sh', '-c', 'id -u; id -g; grep CapEff /proc/self/status; echo "HOME=$HOME"; touch /agent-home/probe && echo writable']);
      expect(result.exitCode, String(result.stderr)).toBe(0);
      expect(String(result.stdout).trim().split('\n')).toEqual(['10001', '10001', 'CapEff:\t0000000000000000', `HOME=/home/${agent}`, 'writable']);
    });

    it('has no privilege-escalation path (no setuid/setgid file, no sudo, no docker group) and its own defaults layer', async () => {
      const script = 'find / -xdev -type f -perm /6000; command -v sudo; getent group docker; id -Gn "$AGENT"; ls /etc/*-defaults';
      const result = await podman(['run', '--rm', '--entrypoint', 'sh', image(), '-c', script]);
      const defaults = agent === 'codex' ? 'config.toml' : 'settings.json';
      expect(String(result.stdout).trim().split('\n')).toEqual([agent, defaults]);
    });

    it('podman stop delivers SIGTERM through tini and the supervisor to the agent: exit 143', async () => {
      const name = await startContainer(image(), ['sh', '-c', 'echo ready; exec sleep 1000']);
      await waitForLog(name, 'ready');
      const stop = await podman(['stop', '-t', '60', name]);
      expect(stop.exitCode, String(stop.stderr)).toBe(0);
      expect(await exitCodeOf(name)).toBe(143);
      expect(await logsOf(name)).toContain('"signal":"SIGTERM"');
    });

    it('kills a child that ignores SIGTERM after AGENT_STOP_GRACE: exit 137, by us, not by podman', async () => {
      const name = await startContainer(image(), ['sh', '-c', 'trap "" TERM; echo ready; while :; do sleep 1; done'], ['-e', 'AGENT_STOP_GRACE=2s']);
      await waitForLog(name, 'ready');
      await podman(['stop', '-t', '120', name]);
      expect(await exitCodeOf(name)).toBe(137);
      expect(await logsOf(name)).toContain('sending SIGKILL');
    });
  });
}

describe('codex image: probes and volumes', () => {
  const image = () => IMAGES.codex!;

  it('migrates a home volume written by uid 1000: smoke-test 66 unreadable before, 0 after boot', async () => {
    const home = tempDir();
    fs.mkdirSync(path.join(home, '.codex', 'sessions'), { recursive: true });
    fs.writeFileSync(path.join(home, '.codex', 'auth.json'), validCodexAuth(), { mode: 0o600 });
    fs.writeFileSync(path.join(home, '.codex', 'sessions', 'old.jsonl'), '{}\n');
    execFileSync('chown', ['-R', '1000:1000', home]);

    const before = await podman(['run', '--rm', '-v', `${home}:/home/codex`, image(), 'smoke-test']);
    expect(before.exitCode, String(before.stderr)).toBe(66);
    expect(JSON.parse(String(before.stdout))).toMatchObject({ status: 'creds-invalid' });
    expect(String(before.stdout)).toContain('unreadable');

    const name = await startContainer(image(), ['sleep', 'infinity'], ['-v', `${home}:/home/codex`]);
    await waitForLog(name, 'child started');
    const after = await podman(['exec', name, 'agent-entrypoint', 'smoke-test']);
    expect(after.exitCode, `${String(after.stdout)}${String(after.stderr)}`).toBe(0);
    expect(ownersBelow(home)).toEqual(new Set([10001]));
  });

  it('smoke-test: 65 with an empty volume, 64 when the CLI is gone', async () => {
    const empty = tempDir();
    const missing = await podman(['run', '--rm', '-v', `${empty}:/home/codex`, image(), 'smoke-test']);
    expect(missing.exitCode, String(missing.stderr)).toBe(65);
    const broken = await podman(['run', '--rm', '--entrypoint', 'sh', image(), '-c', 'rm -f "$(command -v codex)"; agent-entrypoint smoke-test']);
    expect(broken.exitCode, String(broken.stderr)).toBe(64);
    expect(JSON.parse(String(broken.stdout))).toMatchObject({ status: 'cli-broken' });
  });

  it('layers a read-only overlay in kubelet layout, then follows a ..data swap while running', async () => {
    const overlay = tempDir();
    writeConfigMap(overlay, { 'config.toml': 'model = "o3"\n', 'prompts/review.md': 'review\n' });
    const name = await startContainer(image(), ['sleep', 'infinity'], ['-v', `${overlay}:/etc/codex-config:ro`, '-e', 'AGENT_RELOAD_DEBOUNCE=200ms']);
    await waitForLog(name, 'child started');
    const read = async () => String((await podman(['exec', name, 'cat', '/home/codex/.codex/config.toml'])).stdout);
    const merged = await read();
    expect(merged).toContain('sandbox_mode = "danger-full-access"');
    expect(merged).toContain('model = "o3"');
    writeConfigMap(overlay, { 'config.toml': 'model = "o4-mini"\n' });
    await until(async () => ((await read()).includes('model = "o4-mini"') ? true : undefined), 30_000, 200);
    const gone = await podman(['exec', name, 'test', '-e', '/home/codex/.codex/prompts/review.md']);
    expect(gone.exitCode).toBe(1);
  });

  it('the real codex CLI loads the merged config, rejects an invalid overlay, and doctor says why', async () => {
    const good = tempDir();
    writeConfigMap(good, { 'config.toml': 'model = "o3"\n' });
    const accepted = await podman(['run', '--rm', '-v', `${good}:/etc/codex-config:ro`, image(), 'codex', 'login', 'status']);
    expect(`${String(accepted.stdout)}${String(accepted.stderr)}`).toContain('Not logged in');
    expect(String(accepted.stderr)).not.toContain('Error loading configuration');

    const bad = tempDir();
    writeConfigMap(bad, { 'config.toml': 'sandbox_mode = 5\n' });
    const rejected = await podman(['run', '--rm', '-v', `${bad}:/etc/codex-config:ro`, image(), 'codex', 'login', 'status']);
    expect(String(rejected.stderr)).toContain('Error loading configuration');
    const name = await startContainer(image(), ['sleep', 'infinity'], ['-v', `${bad}:/etc/codex-config:ro`]);
    await waitForLog(name, 'child started');
    const doctor = await podman(['exec', name, 'agent-entrypoint', 'doctor', '--json']);
    expect(doctor.exitCode).toBe(1);
    expect(String(doctor.stdout)).toContain('Error loading configuration');
  });
});
