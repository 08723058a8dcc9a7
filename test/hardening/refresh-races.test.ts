// Many rounds of refreshers racing on one file (three at once, as a sidecar, the supervisor and
// an operator's `refresh --once` could): each round exactly one redemption, no failure, and the
// file ends with the server's live token.
import { describe, expect, it } from 'vitest';
import { readJson, refreshOnce, refreshSlot, strays, writeCredentials } from '../helpers/refresh.js';
import { useTokenServer, type TokenServer } from '../helpers/token-server.js';

const ROUNDS = 60;
const RACERS = 3;
const HOUR = 3_600_000;

let server: TokenServer;
useTokenServer((started) => (server = started));

describe(`${RACERS} refreshers at once, ${ROUNDS} rounds`, () => {
  for (const agent of ['codex', 'claude'] as const) {
    it(agent, async () => {
      const issue = () => (agent === 'codex' ? server.issueCodex({ expiresAtMs: Date.now() + HOUR }) : server.issueClaude({ expiresAtMs: Date.now() + HOUR / 2 }));
      const slot = refreshSlot(agent, server, issue());
      const outcomes = new Map<string, number>();
      for (let round = 0; round < ROUNDS; round++) {
        writeCredentials(slot.file, issue());
        const before = server.rotations();
        const runs = await Promise.all(Array.from({ length: RACERS }, () => refreshOnce(slot.env)));
        for (const run of runs) outcomes.set(String(run.line.outcome), (outcomes.get(String(run.line.outcome)) ?? 0) + 1);
        expect(runs.filter((run) => String(run.line.outcome).startsWith('fail:')).map((run) => run.stderr), `round ${round}`).toEqual([]);
        expect(runs.filter((run) => run.line.outcome === 'refreshed')).toHaveLength(1);
        expect(server.rotations() - before, `round ${round}`).toBe(1);
        const doc = readJson(slot.file) as { tokens?: { refresh_token: string }; claudeAiOauth?: { refreshToken: string } };
        expect(doc.tokens?.refresh_token ?? doc.claudeAiOauth?.refreshToken).toBe(server.liveToken());
        expect(strays(slot)).toEqual([]);
      }
      console.log(`${agent} race outcomes: ${JSON.stringify(Object.fromEntries(outcomes))}`);
    });
  }
});
