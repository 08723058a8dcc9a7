// Signals during the boot, before the child exists: a stop keeps the agent from starting (exit
// 128+n), as a plain process and as PID 1 (where the kernel drops a signal that has no handler).
// The boot is held in its token check by a real token server that answers slowly.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { FIXTURES, NODE, PID_NAMESPACE, startBundle } from './helpers/bundle.js';
import { childrenOf, until, waitForOutput } from './helpers/process.js';
import { refreshSlot } from './helpers/refresh.js';
import { useTokenServer, type TokenServer } from './helpers/token-server.js';

let server: TokenServer;
useTokenServer((started) => (server = started));


for (const pid1 of [false, true]) {
  describe(pid1 ? 'as PID 1 in a PID namespace' : 'as a plain process', () => {
    for (const [signal, code] of [
      ['SIGTERM', 143],
      ['SIGINT', 130],
    ] as const) {
      it(`${signal} during the boot: the agent is never started, exit ${code}`, async () => {
        const doc = server.issueCodex({ expiresAtMs: Date.now() + 60_000 }); // due: the boot asks the server
        const slot = refreshSlot('codex', server, doc, { AGENT_REFRESH: 'on', AGENT_REFRESH_TIMEOUT: '30s' });
        server.faults.push({ kind: 'slow', ms: 1_500 }); // the request in flight finishes (a redeemed token is never dropped)
        const asked = server.requests.length;
        const proc = startBundle([NODE, path.join(FIXTURES, 'signals.mjs'), 'record'], { env: slot.env, wrap: pid1 ? PID_NAMESPACE : undefined });
        await until(() => server.requests.length > asked); // the boot is now waiting for the answer
        const target = pid1 ? await until(() => childrenOf(proc.pid!)[0]) : proc.pid!;
        const seen = waitForOutput(proc.stderr, 'stop signal during the boot');
        process.kill(target, signal);
        await seen;
        const result = await proc;
        expect(result.exitCode).toBe(code);
        expect(String(result.stdout)).not.toContain('READY');
        expect(String(result.stderr)).not.toContain('child started');
        // The redemption in flight when the stop came was finished and saved, not dropped.
        expect(JSON.parse(fs.readFileSync(slot.file, 'utf8')).tokens.refresh_token).toBe(server.liveToken());
      });
    }

    it('SIGUSR1 during the boot is ignored (no child to give it to), and the agent starts', async () => {
      const doc = server.issueCodex({ expiresAtMs: Date.now() + 60_000 });
      const slot = refreshSlot('codex', server, doc, { AGENT_REFRESH: 'on', AGENT_STOP_GRACE: '200ms' });
      server.faults.push({ kind: 'slow', ms: 1_000 });
      const asked = server.requests.length;
      const proc = startBundle([NODE, path.join(FIXTURES, 'signals.mjs'), 'die'], { env: slot.env, wrap: pid1 ? PID_NAMESPACE : undefined });
      await until(() => server.requests.length > asked);
      const target = pid1 ? await until(() => childrenOf(proc.pid!)[0]) : proc.pid!;
      process.kill(target, 'SIGUSR1');
      await waitForOutput(proc.stdout, 'READY');
      process.kill(target, 'SIGTERM'); // now forwarded: the fixture dies by it
      const result = await proc;
      expect(result.exitCode).toBe(143);
      // As PID 1 it says that nothing reaps orphans and how to fix that; as a plain process it does not.
      expect(String(result.stderr).includes('running as PID 1: orphaned processes are not reaped; put tini in front')).toBe(pid1);
    });
  });
}
