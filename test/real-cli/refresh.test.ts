// The real Codex CLI accepts what our refresh wrote: after `refresh --once` rewrote auth.json
// (against the local token server), `codex login status` still reports a ChatGPT login. The CLI
// runs without network (`unshare --net`) and as the agent, as it would in the slot.
// REAL_CODEX is the absolute path of the pinned codex binary (set by `npm run test:real-cli`).
import path from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { NODE } from '../helpers/bundle.js';
import { AGENT_GID, AGENT_UID, readJson, refreshOnce, refreshSlot, type RefreshSlot } from '../helpers/refresh.js';
import { useTokenServer, type CodexAuth, type TokenServer } from '../helpers/token-server.js';

const REAL_CODEX = process.env.REAL_CODEX;
if (!REAL_CODEX || !path.isAbsolute(REAL_CODEX)) {
  throw new Error('REAL_CODEX is not set to the absolute path of the pinned codex binary; run this suite with `npm run test:real-cli`');
}

let server: TokenServer;
useTokenServer((started) => (server = started));

/** `codex login status` as the agent, with no network, against the slot's CODEX_HOME. */
async function loginStatus(slot: RefreshSlot) {
  const result = await execa(
    'unshare',
    ['--net', 'setpriv', `--reuid=${AGENT_UID}`, `--regid=${AGENT_GID}`, '--clear-groups', REAL_CODEX!, 'login', 'status'],
    {
      env: { PATH: `${path.dirname(NODE)}:/usr/bin:/bin`, HOME: slot.home, CODEX_HOME: slot.configDir },
      extendEnv: false,
      reject: false,
      timeout: 30_000,
    },
  );
  return { exitCode: result.exitCode, output: `${String(result.stdout)}\n${String(result.stderr)}` };
}

describe('real codex CLI after our refresh', () => {
  it('`codex login status` reports "Logged in using ChatGPT" before and after auth.json is rewritten', async () => {
    const doc = server.issueCodex({ expiresAtMs: Date.now() + 3_600_000, extra: { unknown_future_field: { kept: true } } });
    const slot = refreshSlot('codex', server, doc);
    const before = await loginStatus(slot);
    expect(before.output, 'the fixture itself must be a valid login').toContain('Logged in using ChatGPT');
    expect(before.exitCode).toBe(0);

    const run = await refreshOnce(slot.env);
    expect(run.line.outcome, run.stderr).toBe('refreshed');
    const after = readJson<CodexAuth>(slot.file);
    expect(after.tokens.refresh_token).toBe(server.liveToken());

    const status = await loginStatus(slot);
    expect(status.output).toContain('Logged in using ChatGPT');
    expect(status.exitCode).toBe(0);
  });
});
