// Helpers for the probe modes: a slot with credentials on it, a fixture CLI on PATH, the JSON line,
// and the check that no fixture secret reached any output.
import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'vitest';
import { jwtPayloads, SECRET_MARKER } from '../fixtures/credentials.mjs';
import { baseEnv, FIXTURES, runBundle, type BundleOptions, type BundleResult } from './bundle.js';
import { AGENT_UID, CREDENTIALS, makeSlot, type Slot } from './slot.js';
import { hygiene } from './hygiene.js';
import { tempDir } from './tree.js';

export { AGENT_UID, CREDENTIALS };
export type Agent = keyof typeof CREDENTIALS;

export type CliKind = 'version' | 'fail' | 'hang' | 'not-executable' | 'missing' | 'config-check';

/** A bin directory holding the fixture CLI as `name` (a real script, as the agent would find it). */
export function fixtureCli(name: Agent, kind: CliKind): string {
  const bin = tempDir('ae-bin-');
  if (kind === 'missing') return bin;
  const source = path.join(FIXTURES, 'cli', `${kind === 'not-executable' ? 'version' : kind}.sh`);
  const target = path.join(bin, name);
  fs.copyFileSync(source, target);
  fs.chmodSync(target, kind === 'not-executable' ? 0o644 : 0o755);
  return bin;
}

/** PATH with `bin` first, then only Node and the system directories (no real CLI can sneak in). */
export function pathWith(bin: string): string {
  return `${bin}:${baseEnv().PATH}`;
}

/** A slot whose home and config dir exist and belong to the agent, as after a boot. */
export function bootedSlot(agent: Agent): Slot {
  const slot = makeSlot(agent);
  fs.mkdirSync(slot.workspace, { recursive: true, mode: 0o755 });
  fs.mkdirSync(slot.configDir, { mode: 0o700 });
  fs.mkdirSync(slot.shared, { recursive: true });
  for (const dir of [slot.home, slot.configDir, slot.workspace, slot.shared]) fs.chownSync(dir, AGENT_UID, AGENT_UID);
  return slot;
}

export interface WriteOptions {
  owner?: number;
  mode?: number;
  /** Relative to the config dir (default: the agent's credentials file). */
  rel?: string;
}

/** Writes a credentials file (an object is serialised) as the CLI would: 0600, agent-owned. */
export function writeCredentials(slot: Slot, agent: Agent, content: string | Record<string, unknown>, options: WriteOptions = {}): string {
  const file = path.join(slot.configDir, options.rel ?? CREDENTIALS[agent]);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const text = typeof content === 'string' ? content : JSON.stringify(content, null, 2);
  fs.writeFileSync(file, text);
  hygiene.noteInput(file, text);
  fs.chmodSync(file, options.mode ?? 0o600);
  const owner = options.owner ?? AGENT_UID;
  fs.chownSync(file, owner, owner);
  return file;
}

/** The single JSON line on stdout (fails the test unless there is exactly one line and it parses). */
export function jsonLine(result: BundleResult): Record<string, unknown> {
  const lines = result.stdout.split('\n').filter((line) => line.trim() !== '');
  expect(lines, `stdout: ${result.stdout}\nstderr: ${result.stderr}`).toHaveLength(1);
  return JSON.parse(lines[0]!) as Record<string, unknown>;
}

/** The last line of stdout as JSON (auth-init: the login's own output comes first). */
export function lastJsonLine(result: BundleResult): Record<string, unknown> {
  const lines = result.stdout.split('\n').filter((line) => line.trim() !== '');
  return JSON.parse(lines.at(-1) ?? 'null') as Record<string, unknown>;
}

/** Asserts that no fixture secret (marker or JWT payload) and none of `extra` appears in the output. */
export function expectNoSecrets(result: BundleResult, extra: string[] = []): void {
  const output = result.stdout + result.stderr;
  expect(output).not.toContain(SECRET_MARKER);
  for (const payload of jwtPayloads) expect(output).not.toContain(payload);
  for (const secret of extra) expect(output).not.toContain(secret);
}

/** Runs `agent-entrypoint smoke-test` against a slot with a fixture CLI. */
export function smokeTest(slot: Slot, bin: string, env: Record<string, string> = {}, options: BundleOptions = {}): Promise<BundleResult> {
  return runBundle(['smoke-test'], { ...options, env: { ...slot.env, PATH: pathWith(bin), ...env } });
}
