// The secret hygiene scanner finds what it is meant to find: planted leaks in printed text, files
// and children's command lines and environments, and nothing in the places secrets belong. (The
// suite's own scan, test/helpers/hygiene.ts, would pass vacuously if the scanner saw nothing.)
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import os from 'node:os';
import { afterEach, describe, expect, it } from 'vitest';
import { jwt, SECRET_MARKER } from '../fixtures/credentials.mjs';
import { Scanner } from '../helpers/hygiene.js';
import { mintJwt } from '../helpers/token-server.js';

// The planted leaks live outside the tests' temp directories: the suite's own scan must not see them.
const planted: string[] = [];
afterEach(() => {
  for (const dir of planted.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});
function plantDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ae-planted-'));
  planted.push(dir);
  return dir;
}

const minted = mintJwt({ sub: 'user-1', exp: 1 });
const opaque = 'rt_0123456789abcdef0123456789abcdef';

function scanner(): Scanner {
  const scan = new Scanner();
  scan.noteSecrets([minted, opaque]);
  return scan;
}

describe('the secret hygiene scanner', () => {
  it('finds the marker, a registered token, a JWT signature alone and a fixture JWT payload in printed text; nothing in clean text', () => {
    const scan = scanner();
    const fixture = jwt({ exp: 123 });
    scan.scanOutput('a', `token=${SECRET_MARKER}_x`);
    scan.scanOutput('b', `{"refresh":"${opaque}"}`);
    scan.scanOutput('c', `sig ${minted.split('.')[2]!} end`);
    scan.scanOutput('d', `payload ${fixture.split('.')[1]!}`);
    scan.scanOutput('e', '{"outcome":"refreshed","expires_at_iso":"2026-06-01T16:00:00.000Z"}');
    expect(scan.hits.map((hit) => hit.where)).toEqual(['a', 'b', 'c', 'd']);
    expect(JSON.stringify(scan.hits)).not.toContain(opaque);
  });

  it('allows credentials files, private temp files and unchanged test inputs; flags everything else', () => {
    const scan = scanner();
    const dir = plantDir();
    const write = (name: string, text: string, mode = 0o644) => {
      fs.writeFileSync(path.join(dir, name), text, { mode });
      fs.chmodSync(path.join(dir, name), mode);
    };
    write('auth.json', JSON.stringify({ tokens: { refresh_token: opaque } }), 0o600);
    write('.agent-entrypoint.tmp.1.a', opaque, 0o600);
    write('.agent-entrypoint.tmp.2.b', opaque, 0o644);
    write('auth_refresh_status.json', `{"note":"${opaque}"}`);
    write('input.toml', `key = "${SECRET_MARKER}"`);
    scan.noteInput(path.join(dir, 'input.toml'), `key = "${SECRET_MARKER}"`);
    write('changed.toml', 'original');
    scan.noteInput(path.join(dir, 'changed.toml'), 'original');
    write('changed.toml', `original ${minted}`);
    scan.scanTree(dir);
    expect([...new Set(scan.hits.map((hit) => path.basename(hit.where.split(' ')[1]!)))].sort()).toEqual(['.agent-entrypoint.tmp.2.b', 'auth_refresh_status.json', 'changed.toml']);
    expect(scan.counts.files).toBe(6);
  });

  it("finds a secret in a child's command line or in environment it was not given; a variable passed on as given is allowed", async () => {
    const scan = scanner();
    // The secrets reach the script through variables it was given (allowed where passed on as is);
    // it hands one to a child under another name, and the other on a command line.
    const script = path.join(plantDir(), 'leak.sh');
    fs.writeFileSync(script, `LEAKED="$SRC" sh -c 'sleep 0.4' ok &\nsh -c 'sleep 0.4' argv "$MARK" &\nwait\n`);
    const given = { PATH: process.env.PATH, OPENAI_API_KEY: minted, SRC: opaque, MARK: `${SECRET_MARKER}_argv` };
    const parent = spawn('sh', [script], { env: given, stdio: 'ignore' });
    const stop = scan.watchChildren(parent.pid!, given, 'no-bundle-here');
    await new Promise((resolve) => parent.once('exit', resolve));
    stop();
    expect(scan.counts.processes).toBeGreaterThanOrEqual(2);
    expect([...new Set(scan.hits.map((hit) => hit.what))].sort()).toEqual([`a registered secret of ${opaque.length} characters`, 'the fixture marker']);
  });
});
