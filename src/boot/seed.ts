// Seeds codex's auth.json from CODEX_SESSION, at first boot only: a seed written on every boot
// clobbers tokens the CLI or the watchdog refreshed since, and the next refresh then fails with
// "refresh token already used". A seed replaces the file only when its last_refresh is newer.
import fs from 'node:fs';
import path from 'node:path';
import { codexTimeMs } from '../credentials/codex.js';
import { CREDENTIALS_FILE } from '../credentials/files.js';
import { ConfigError } from '../errors.js';
import { writeFileAtomicSync, type Owner } from '../fs/atomic.js';
import { isPlainObject } from '../layers/merge.js';
import { parseJsonText, positionOf } from '../layers/parse.js';

export type SeedOutcome =
  | { action: 'written'; reason: 'absent' | 'newer' }
  | { action: 'kept'; reason: 'not-newer' | 'existing-unreadable' };

function lastRefreshOf(value: unknown): number {
  return (isPlainObject(value) ? codexTimeMs(value.last_refresh) : undefined) ?? Number.NEGATIVE_INFINITY;
}

/** Parses CODEX_SESSION without ever echoing it; ConfigError names the variable and the position. */
export function parseCodexSession(text: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = parseJsonText(text);
  } catch (error) {
    throw new ConfigError(`CODEX_SESSION is not valid JSON${positionOf(error)}; set it to the content of a codex auth.json (nothing was written)`);
  }
  if (!isPlainObject(value)) {
    throw new ConfigError('CODEX_SESSION is JSON but not an object; set it to the content of a codex auth.json (nothing was written)');
  }
  return value;
}

/** Writes auth.json from the seed (its text, and that text parsed) when it is absent, or when the seed is newer; never otherwise. */
export function seedCodexSession(seed: { text: string; doc: Record<string, unknown> }, configDir: string, owner: Owner | undefined): SeedOutcome {
  const file = path.join(configDir, CREDENTIALS_FILE.codex);
  let reason: 'absent' | 'newer' = 'absent';
  if (fs.lstatSync(file, { throwIfNoEntry: false })) {
    let existing: unknown;
    try {
      existing = parseJsonText(fs.readFileSync(file, 'utf8'));
    } catch {
      return { action: 'kept', reason: 'existing-unreadable' };
    }
    if (!(lastRefreshOf(seed.doc) > lastRefreshOf(existing))) return { action: 'kept', reason: 'not-newer' };
    reason = 'newer';
  }
  // The variable's own text is written (not a re-serialisation), so every field survives as given.
  writeFileAtomicSync(file, seed.text.replace(/^\uFEFF/, ''), { mode: 0o600, owner });
  return { action: 'written', reason };
}
