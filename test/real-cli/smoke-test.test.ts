// smoke-test, doctor and auth-init against the real pinned CLIs, without network.
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { claudeCredentials, codexAuth } from '../fixtures/credentials.mjs';
import { runBundle } from '../helpers/bundle.js';
import { bootedSlot, expectNoSecrets, jsonLine, lastJsonLine, pathWith, writeCredentials } from '../helpers/probes.js';
import { makeSlot } from '../helpers/slot.js';
import { removeTempDirs } from '../helpers/tree.js';
import { NO_NETWORK, realBin } from './clis.js';

afterEach(removeTempDirs);

const VERSION = { codex: 'codex-cli 0.169.0', claude: '2.1.330 (Claude Code)' };

describe('smoke-test with the real CLIs (no network)', () => {
  it('codex: 0, reporting codex-cli 0.169.0', async () => {
    const slot = bootedSlot('codex');
    writeCredentials(slot, 'codex', codexAuth('valid'));
    const result = await runBundle(['smoke-test'], { env: { ...slot.env, PATH: pathWith(realBin('codex')) }, wrap: NO_NETWORK });
    expect(result.exitCode, result.stderr).toBe(0);
    expect(jsonLine(result)).toMatchObject({ status: 'ok', cli_version: VERSION.codex, uid: 10001 });
    expectNoSecrets(result);
  });

  it('claude: 0, reporting 2.1.330 (Claude Code)', async () => {
    const slot = bootedSlot('claude');
    writeCredentials(slot, 'claude', claudeCredentials('valid'));
    const result = await runBundle(['smoke-test'], { env: { ...slot.env, PATH: pathWith(realBin('claude')) }, wrap: NO_NETWORK });
    expect(result.exitCode, result.stderr).toBe(0);
    expect(jsonLine(result)).toMatchObject({ status: 'ok', cli_version: VERSION.claude });
  });

  for (const agent of ['codex', 'claude'] as const) {
    it(`doctor: cli_runs passes for the real ${agent}`, async () => {
      const slot = bootedSlot(agent);
      const result = await runBundle(['doctor', '--json'], { env: { ...slot.env, PATH: pathWith(realBin(agent)) }, wrap: NO_NETWORK });
      const cli = (JSON.parse(result.stdout) as { probes: Array<{ name: string; result: string; detail: string }> }).probes.find((probe) => probe.name === 'cli_runs');
      expect(cli).toMatchObject({ result: 'pass' });
      expect(cli!.detail).toContain(VERSION[agent]);
    });
  }
});

describe('auth-init with the real CLIs (no network)', () => {
  it("codex login --device-auth fails without network: 1, and the CLI's lock and log files are not taken for credentials", async () => {
    const slot = makeSlot('codex');
    const result = await runBundle(['auth-init'], { env: { ...slot.env, PATH: pathWith(realBin('codex')), AGENT_AUTH_INIT_TIMEOUT: '30s' }, wrap: NO_NETWORK });
    expect(result.exitCode, result.stderr).toBe(1);
    expect(lastJsonLine(result)).toMatchObject({ status: 'login-failed', login_exit_code: 1, artifacts: [] });
    expect(fs.existsSync(path.join(slot.configDir, 'auth.json'))).toBe(false);
  });

  it("claude auth login needs a terminal: 78 at once without one", async () => {
    const slot = makeSlot('claude');
    const result = await runBundle(['auth-init'], { env: { ...slot.env, PATH: pathWith(realBin('claude')) }, wrap: NO_NETWORK });
    expect(result.exitCode).toBe(78);
    expect(lastJsonLine(result).detail).toContain('claude auth login needs a terminal');
  });
});
