// Races: two refreshers of ours on one file (a sidecar and the supervisor, or two pods sharing a
// volume) redeem each token exactly once; a CLI that rewrites the file mid-refresh wins.
import fs from 'node:fs';
import { lockFileFor } from '../../src/credentials/files.js';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { hostIdentity, processStart } from '../../src/refresh/lock.js';
import { startBundle } from '../helpers/bundle.js';
import { until } from '../helpers/process.js';
import { useTokenServer, type TokenServer } from '../helpers/token-server.js';
import { AGENT_GID, AGENT_UID, readJson, refreshOnce, refreshSlot, strays, writeCredentials } from '../helpers/refresh.js';

let server: TokenServer;
useTokenServer((started) => (server = started));

const HOUR = 3_600_000;
const ROUNDS = 12;

describe('two refreshers started together', () => {
  for (const agent of ['codex', 'claude'] as const) {
    it(`${agent}: exactly one redemption per round, no failure, the file ends with the live token (${ROUNDS} rounds)`, async () => {
      const issue = () => (agent === 'codex' ? server.issueCodex({ expiresAtMs: Date.now() + HOUR }) : server.issueClaude({ expiresAtMs: Date.now() + HOUR / 2 }));
      const slot = refreshSlot(agent, server, issue());
      for (let round = 0; round < ROUNDS; round++) {
        // A fresh session each round, due for refresh (the server's new tokens live 10 h: not due after).
        writeCredentials(slot.file, issue());
        const before = server.rotations();
        const requests = server.requests.length;
        const runs = await Promise.all([refreshOnce(slot.env), refreshOnce(slot.env)]);
        const outcomes = runs.map((run) => run.line.outcome).sort();
        expect(outcomes.filter((outcome) => String(outcome).startsWith('fail:')), `round ${round}: ${runs.map((run) => run.stderr).join('\n')}`).toEqual([]);
        expect(outcomes.filter((outcome) => outcome === 'refreshed')).toHaveLength(1);
        expect(['skip:refreshed_elsewhere', 'skip:not_due']).toContain(outcomes.find((outcome) => outcome !== 'refreshed'));
        expect(server.rotations() - before).toBe(1);
        expect(server.requests.length - requests).toBe(1);
        const doc = readJson(slot.file) as { tokens?: { refresh_token: string }; claudeAiOauth?: { refreshToken: string } };
        expect(doc.tokens?.refresh_token ?? doc.claudeAiOauth?.refreshToken).toBe(server.liveToken());
        expect(strays(slot)).toEqual([]);
      }
    });
  }
});

describe('a CLI that rewrites the file mid-refresh', () => {
  it('the CLI won the redemption: refreshed_elsewhere, its file kept as it wrote it', async () => {
    const doc = server.issueCodex({ expiresAtMs: Date.now() + HOUR });
    const slot = refreshSlot('codex', server, doc);
    let cliText = '';
    server.hooks.push(() => {
      const { answer } = server.redeem('codex', doc.tokens.refresh_token);
      cliText = `${JSON.stringify({ ...doc, tokens: { ...doc.tokens, ...answer }, last_refresh: new Date().toISOString() }, null, 2)}\n`;
      // The CLI's own write is truncate + write, not atomic; give the reader a torn moment.
      fs.writeFileSync(slot.file, cliText.slice(0, 40));
      setTimeout(() => fs.writeFileSync(slot.file, cliText), 150);
    });
    const run = await refreshOnce(slot.env);
    expect([run.exitCode, run.line.outcome]).toEqual([1, 'skip:refreshed_elsewhere']);
    expect(fs.readFileSync(slot.file, 'utf8')).toBe(cliText);
    expect(server.liveToken()).toBe(readJson<typeof doc>(slot.file).tokens.refresh_token);
  });

  it('a file left damaged mid-refresh (a writer that died) gets our refreshed tokens, not lost ones', async () => {
    const doc = server.issueCodex({ expiresAtMs: Date.now() + HOUR, extra: { kept: 'yes' } });
    const slot = refreshSlot('codex', server, doc);
    server.hooks.push(() => fs.writeFileSync(slot.file, '{"auth_mode": "chat'));
    const run = await refreshOnce(slot.env);
    expect([run.exitCode, run.line.outcome]).toEqual([0, 'refreshed']);
    const after = readJson<typeof doc>(slot.file);
    expect(after.tokens.refresh_token).toBe(server.liveToken());
    expect(after.kept).toBe('yes');
  });

  it('a new login lands while ours is being redeemed: the new login is kept, our tokens are dropped', async () => {
    const doc = server.issueCodex({ expiresAtMs: Date.now() + HOUR });
    const slot = refreshSlot('codex', server, doc);
    const login = server.issueCodex({ expiresAtMs: Date.now() + 10 * HOUR, extra: { note: 'fresh login' } });
    const loginText = `${JSON.stringify(login, null, 2)}\n`;
    server.hooks.push(() => void writeCredentials(slot.file, loginText));
    const run = await refreshOnce(slot.env);
    expect([run.exitCode, run.line.outcome]).toEqual([1, 'skip:refreshed_elsewhere']);
    expect(fs.readFileSync(slot.file, 'utf8')).toBe(loginText);
    expect(strays(slot)).toEqual([]);
  });
});

describe('a lock held by a live refresher', () => {
  it('is waited for; SIGTERM while waiting gives fail:transient_interrupted (exit 2) and changes nothing', async () => {
    const doc = server.issueCodex({ expiresAtMs: Date.now() + HOUR });
    const slot = refreshSlot('codex', server, doc);
    const lock = lockFileFor(slot.file);
    // Held by this (live) test process, on this host, for an hour.
    const holder = { pid: process.pid, host: hostIdentity(), start: processStart(process.pid), nonce: 'test', acquired_iso: new Date().toISOString(), expires_iso: new Date(Date.now() + HOUR).toISOString() };
    fs.writeFileSync(lock, JSON.stringify(holder), { mode: 0o600 });
    fs.chownSync(lock, AGENT_UID, AGENT_GID);
    const bytes = fs.readFileSync(slot.file);
    const requests = server.requests.length;
    const proc = startBundle(['refresh', '--once'], { env: { ...slot.env, LOG_LEVEL: 'debug' } });
    // It has decided and is waiting: the status file is not written before the check ends.
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(fs.existsSync(slot.statusFile), fs.existsSync(slot.statusFile) ? fs.readFileSync(slot.statusFile, 'utf8') : '').toBe(false);
    proc.kill('SIGTERM');
    const result = await proc;
    expect(result.exitCode).toBe(2);
    expect(JSON.parse(String(result.stdout))).toMatchObject({ outcome: 'fail:transient_interrupted', exit_code: 2 });
    expect(fs.readFileSync(slot.file).equals(bytes)).toBe(true);
    expect(server.requests.length).toBe(requests);
    expect(JSON.parse(fs.readFileSync(lock, 'utf8'))).toEqual(holder);
  });

  it('is taken over once its holder dies', async () => {
    const doc = server.issueCodex({ expiresAtMs: Date.now() + HOUR });
    const slot = refreshSlot('codex', server, doc);
    const sleeper = execa('sleep', ['30'], { reject: false });
    const pid = await until(() => sleeper.pid);
    fs.writeFileSync(lockFileFor(slot.file), JSON.stringify({ pid, host: hostIdentity(), start: processStart(pid), nonce: 'x', acquired_iso: new Date().toISOString(), expires_iso: new Date(Date.now() + HOUR).toISOString() }));
    fs.chownSync(lockFileFor(slot.file), AGENT_UID, AGENT_GID);
    const run = startBundle(['refresh', '--once'], { env: slot.env });
    const rotations = server.rotations();
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(server.rotations()).toBe(rotations);
    sleeper.kill('SIGKILL');
    await sleeper;
    const result = await run;
    expect(JSON.parse(String(result.stdout)).outcome).toBe('refreshed');
    expect(strays(slot)).toEqual([]);
  });
});
