// Our credential verdict against the pinned CLIs' own view, without network:
//   codex:  smoke-test 0 vs 65/66   <->   `codex login status` exit 0 vs 1
//   claude: smoke-test 0 vs 65/66   <->   `claude auth status` exit 0 vs 1
// Where the CLI's check is presence only, this program is stricter on purpose; those cases are
// listed separately and asserted as they are, so a CLI release that changes either side is noticed.
import { execa } from 'execa';
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { BROKEN_TEXTS, claudeCredentials, codexAuth, type ClaudeKind, type CodexKind } from '../fixtures/credentials.mjs';
import { runBundle } from '../helpers/bundle.js';
import { bootedSlot, expectNoSecrets, jsonLine, pathWith, writeCredentials, type Agent } from '../helpers/probes.js';
import type { Slot } from '../helpers/slot.js';
import { removeTempDirs } from '../helpers/tree.js';
import { NO_NETWORK, REAL, realBin } from './clis.js';

afterEach(removeTempDirs);

type Fixture = CodexKind | ClaudeKind | keyof typeof BROKEN_TEXTS | 'missing';

function content(agent: Agent, kind: Fixture): string | undefined {
  if (kind === 'missing') return undefined;
  if (kind in BROKEN_TEXTS) return BROKEN_TEXTS[kind as keyof typeof BROKEN_TEXTS];
  return JSON.stringify(agent === 'codex' ? codexAuth(kind as CodexKind) : claudeCredentials(kind as ClaudeKind));
}

/** A slot holding the fixture; the CLI and the probe each get their own copy (the CLI writes state). */
function slotWith(agent: Agent, kind: Fixture): Slot {
  const slot = bootedSlot(agent);
  const text = content(agent, kind);
  if (text !== undefined) writeCredentials(slot, agent, text);
  return slot;
}

async function ourVerdict(agent: Agent, kind: Fixture): Promise<number | undefined> {
  const slot = slotWith(agent, kind);
  const result = await runBundle(['smoke-test'], { env: { ...slot.env, PATH: pathWith(realBin(agent)) }, wrap: NO_NETWORK });
  expect(jsonLine(result).status).not.toBe('cli-broken');
  expectNoSecrets(result);
  return result.exitCode;
}

/** The CLI's own status command, run as the agent would (uid 10001) on its own copy of the slot. */
async function cliVerdict(agent: Agent, kind: Fixture): Promise<number | undefined> {
  const slot = slotWith(agent, kind);
  const args = agent === 'codex' ? ['login', 'status'] : ['auth', 'status', '--json'];
  const env = agent === 'codex' ? { CODEX_HOME: slot.configDir } : { CLAUDE_CONFIG_DIR: slot.configDir };
  const result = await execa(NO_NETWORK[0]!, [...NO_NETWORK.slice(1), 'setpriv', '--reuid', '10001', '--regid', '10001', '--clear-groups', REAL[agent], ...args], {
    env: { PATH: pathWith(realBin(agent)), HOME: slot.home, ...env },
    extendEnv: false,
    reject: false,
    timeout: 30_000,
  });
  expect(result.exitCode === 0 || result.exitCode === 1, `${REAL[agent]} ${args.join(' ')}: ${result.stderr}`).toBe(true);
  return result.exitCode;
}

const CODEX_AGREE: Array<[Fixture, 0 | 65 | 66]> = [
  ['valid', 0],
  ['apikey', 0],
  ['expired', 0],
  ['missing', 65],
  ['empty', 66],
  ['not-json', 66],
  ['bom', 66],
  ['wrong-shape', 66],
  ['unknown-mode', 66],
  ['bad-last-refresh', 66],
  ['malformed-id-token', 66],
  ['blanked', 66],
];

/** The CLI accepts these (presence); none of them can authenticate a request. */
const CODEX_STRICTER: Fixture[] = ['empty-object', 'blanked-refresh', 'empty-api-key'];

const CLAUDE_AGREE: Array<[Fixture, 0 | 65 | 66]> = [
  ['valid', 0],
  ['expired', 0],
  ['missing', 65],
  ['no-login', 65],
  ['empty', 66],
  ['not-json', 66],
  ['wrong-shape', 66],
  ['blanked', 66],
  ['missing-scope', 66],
];

/** The CLI calls these logged in; without a refresh token an expired (or zeroed) access token is dead. */
const CLAUDE_STRICTER: Fixture[] = ['expired-no-refresh', 'expires-zero'];

describe('codex: our verdict agrees with `codex login status` (0.169.0)', () => {
  for (const [kind, code] of CODEX_AGREE) {
    it(`${kind}: smoke-test ${code}, codex login status ${code === 0 ? 0 : 1}`, async () => {
      expect(await ourVerdict('codex', kind)).toBe(code);
      expect(await cliVerdict('codex', kind)).toBe(code === 0 ? 0 : 1);
    });
  }
  for (const kind of CODEX_STRICTER) {
    it(`${kind}: stricter than the CLI on purpose (smoke-test 66, codex login status 0)`, async () => {
      expect(await ourVerdict('codex', kind)).toBe(66);
      expect(await cliVerdict('codex', kind)).toBe(0);
    });
  }
});

describe('claude: our verdict agrees with `claude auth status` (2.1.330)', () => {
  for (const [kind, code] of CLAUDE_AGREE) {
    it(`${kind}: smoke-test ${code}, claude auth status ${code === 0 ? 0 : 1}`, async () => {
      expect(await ourVerdict('claude', kind)).toBe(code);
      expect(await cliVerdict('claude', kind)).toBe(code === 0 ? 0 : 1);
    });
  }
  for (const kind of CLAUDE_STRICTER) {
    it(`${kind}: stricter than the CLI on purpose (smoke-test 66, claude auth status 0)`, async () => {
      expect(await ourVerdict('claude', kind)).toBe(66);
      expect(await cliVerdict('claude', kind)).toBe(0);
    });
  }
});

describe("the artifact scan is not fooled by the real claude's own state files", () => {
  it('a config dir the CLI has touched without logging in is still 65', async () => {
    const slot = bootedSlot('claude');
    const run = (args: string[]) =>
      execa(NO_NETWORK[0]!, [...NO_NETWORK.slice(1), 'setpriv', '--reuid', '10001', '--regid', '10001', '--clear-groups', REAL.claude, ...args], {
        env: { PATH: pathWith(realBin('claude')), HOME: slot.home, CLAUDE_CONFIG_DIR: slot.configDir },
        extendEnv: false,
        reject: false,
        timeout: 30_000,
      });
    await run(['auth', 'status', '--json']);
    expect(fs.readdirSync(slot.configDir).length, 'the CLI wrote its state files').toBeGreaterThan(0);
    const result = await runBundle(['smoke-test'], { env: { ...slot.env, PATH: pathWith(realBin('claude')) }, wrap: NO_NETWORK });
    expect(result.exitCode, result.stdout).toBe(65);
  });

  it('after `claude auth logout` (which deletes only .credentials.json) the slot is 65, not logged in', async () => {
    const slot = bootedSlot('claude');
    writeCredentials(slot, 'claude', claudeCredentials('valid'));
    const logout = await execa(NO_NETWORK[0]!, [...NO_NETWORK.slice(1), 'setpriv', '--reuid', '10001', '--regid', '10001', '--clear-groups', REAL.claude, 'auth', 'logout'], {
      env: { PATH: pathWith(realBin('claude')), HOME: slot.home, CLAUDE_CONFIG_DIR: slot.configDir },
      extendEnv: false,
      reject: false,
      timeout: 30_000,
    });
    expect(logout.exitCode, logout.stderr).toBe(0);
    expect(fs.existsSync(path.join(slot.configDir, '.credentials.json'))).toBe(false);
    const result = await runBundle(['smoke-test'], { env: { ...slot.env, PATH: pathWith(realBin('claude')) }, wrap: NO_NETWORK });
    expect(result.exitCode, result.stdout).toBe(65);
  });
});
