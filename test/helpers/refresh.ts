// Slots with credentials for the refresh tests: an agent-owned config dir holding auth.json or
// .credentials.json whose refresh token is live on a TokenServer, and readers for what the
// refresher leaves behind (the file, the status file, the --once JSON line).
import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'vitest';
import { runBundle, type BundleOptions, type BundleResult } from './bundle.js';
import { hygiene } from './hygiene.js';
import { jsonLine } from './probes.js';
import { AGENT_GID, AGENT_UID, CREDENTIALS, makeSlot, type Slot } from './slot.js';
import type { ProviderName, TokenServer } from './token-server.js';

export { AGENT_GID, AGENT_UID, CREDENTIALS };

export interface RefreshSlot extends Slot {
  agent: ProviderName;
  /** The credentials file. */
  file: string;
  statusFile: string;
}

/** The env variable that points a provider at the test server. */
export function urlVariable(agent: ProviderName): string {
  return agent === 'codex' ? 'CODEX_REFRESH_TOKEN_URL_OVERRIDE' : 'CLAUDE_REFRESH_TOKEN_URL_OVERRIDE';
}

/** Writes a credentials file as the CLI would: 0600, agent-owned. */
export function writeCredentials(file: string, content: unknown): string {
  const text = typeof content === 'string' ? content : `${JSON.stringify(content, null, 2)}\n`;
  fs.writeFileSync(file, text, { mode: 0o600 });
  hygiene.noteInput(file, text);
  fs.chmodSync(file, 0o600);
  fs.chownSync(file, AGENT_UID, AGENT_GID);
  return text;
}

/** A slot whose config dir (agent-owned, 0700) holds `doc` (or no file when undefined). */
export function refreshSlot(agent: ProviderName, server: TokenServer, doc: unknown, env: Record<string, string> = {}): RefreshSlot {
  const slot = makeSlot(agent, { AGENT_REFRESH: 'on', [urlVariable(agent)]: server.url(agent), ...env });
  fs.mkdirSync(slot.home, { recursive: true, mode: 0o755 });
  fs.mkdirSync(slot.configDir, { mode: 0o700 });
  fs.chownSync(slot.home, AGENT_UID, AGENT_GID);
  fs.chownSync(slot.configDir, AGENT_UID, AGENT_GID);
  const file = path.join(slot.configDir, CREDENTIALS[agent]);
  if (doc !== undefined) writeCredentials(file, doc);
  return { ...slot, agent, file, statusFile: path.join(slot.configDir, 'auth_refresh_status.json') };
}

export interface RefreshRun extends BundleResult {
  /** The --once JSON line. */
  line: Record<string, unknown>;
}

/** Runs `refresh --once` and parses its one stdout line. */
export async function refreshOnce(env: Record<string, string>, options: BundleOptions & { args?: string[] } = {}): Promise<RefreshRun> {
  const result = await runBundle(options.args ?? ['refresh', '--once'], { ...options, env });
  return { ...result, line: jsonLine(result) };
}

export function readJson<T = Record<string, unknown>>(file: string): T {
  return JSON.parse(fs.readFileSync(file, 'utf8')) as T;
}

/** Every string in a fixture that is a token or key (long enough to be a secret). */
export function secretsIn(value: unknown, out: string[] = []): string[] {
  if (typeof value === 'string' && value.length >= 20 && /[A-Za-z0-9_-]{20,}/.test(value)) out.push(value);
  else if (Array.isArray(value)) value.forEach((item) => secretsIn(item, out));
  else if (value && typeof value === 'object') Object.values(value).forEach((item) => secretsIn(item, out));
  return out;
}

/** Fails naming the place when any secret (or a recognisable part of it) appears in any text. */
export function expectNoSecrets(places: Record<string, string>, secrets: readonly string[]): void {
  for (const [where, text] of Object.entries(places)) {
    for (const secret of secrets) {
      // A JWT's signature or a token's tail alone would still be a leak.
      const parts = [secret, ...secret.split('.').filter((part) => part.length >= 20)];
      for (const part of parts) expect(text.includes(part), `a secret appears in ${where}`).toBe(false);
    }
  }
}

/** Every file in the config dir other than the credentials and the status file (temp files, locks). */
export function strays(slot: RefreshSlot): string[] {
  return fs.readdirSync(slot.configDir).filter((name) => name !== CREDENTIALS[slot.agent] && name !== 'auth_refresh_status.json');
}
