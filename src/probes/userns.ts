// user_namespaces (advisory): can the agent create an unprivileged user namespace? Codex's sandbox
// (bubblewrap) needs one; hardened clusters disable them, and then every sandboxed command fails
// with "No permissions to create new namespace" unless the sandbox is off.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { errnoCode } from '../errors.js';
import { parseTomlText } from '../layers/parse.js';
import type { Settings } from '../settings/env.js';
import { tail } from './cli.js';
import { fail, pass, skip, type ProbeEvidence, type ProbeVerdict } from './types.js';

const TRY = ['unshare', '--user', '--map-root-user', 'true'] as const;
const SYSCTLS = ['/proc/sys/user/max_user_namespaces', '/proc/sys/kernel/unprivileged_userns_clone'];

/** codex's sandbox_mode from the config dir's config.toml, or why it cannot be told. */
export function codexSandboxMode(configDir: string): { mode: string | undefined } | { unknown: string } {
  const file = path.join(configDir, 'config.toml');
  try {
    const config = parseTomlText(fs.readFileSync(file, 'utf8'));
    return { mode: typeof config.sandbox_mode === 'string' ? config.sandbox_mode : undefined };
  } catch (error) {
    if (errnoCode(error) === 'ENOENT') return { mode: undefined };
    return { unknown: `${file} cannot be read (${errnoCode(error) ?? (error instanceof Error ? error.message : 'error')})` };
  }
}

/** What the missing user namespaces mean for this agent. */
function consequence(settings: Settings): string {
  if (settings.agent !== 'codex') return 'tools that sandbox with bubblewrap cannot work in this pod';
  const sandbox = codexSandboxMode(settings.paths.configDir);
  if ('unknown' in sandbox) return `codex's sandbox needs them and its sandbox_mode cannot be told: ${sandbox.unknown}`;
  if (sandbox.mode === 'danger-full-access') return 'harmless here: codex runs with sandbox_mode = "danger-full-access" (the pod is the boundary)';
  return (
    `codex's sandbox_mode is ${sandbox.mode ? `"${sandbox.mode}"` : 'unset (codex sandboxes by default)'}, so every sandboxed command will fail with ` +
    `"No permissions to create new namespace"; set sandbox_mode = "danger-full-access" in the overlay's config.toml (AGENT_OVERLAY_DIR)`
  );
}

/** When unshare is not installed: what the sysctls say (they cannot show a seccomp or LSM denial). */
function fromSysctls(settings: Settings): ProbeVerdict {
  for (const file of SYSCTLS) {
    let value: string;
    try {
      value = fs.readFileSync(file, 'utf8').trim();
    } catch {
      continue; // this kernel has no such knob
    }
    if (value === '0') {
      return fail(`user namespaces are disabled (${file} is 0); ${consequence(settings)}`, { operation: `read ${file}`, observed: value, expected: 'non-zero' });
    }
  }
  return skip(`cannot try (unshare is not installed); the sysctls (${SYSCTLS.join(', ')}) do not forbid user namespaces`);
}

export function probeUserNamespaces(settings: Settings): ProbeVerdict {
  const attempt = spawnSync(TRY[0], TRY.slice(1), { env: { PATH: settings.searchPath }, timeout: 5_000, encoding: 'utf8', stdio: ['ignore', 'ignore', 'pipe'] });
  if (attempt.error && errnoCode(attempt.error) === 'ENOENT') return fromSysctls(settings);
  const evidence: ProbeEvidence = { operation: TRY.join(' '), errno: errnoCode(attempt.error), exit_code: attempt.status ?? undefined, signal: attempt.signal ?? undefined, stderr_tail: tail(attempt.stderr ?? '') };
  if (attempt.status === 0) return pass(`uid ${process.getuid?.()} can create a user namespace`);
  return fail(`uid ${process.getuid?.()} cannot create a user namespace; ${consequence(settings)}`, evidence);
}

