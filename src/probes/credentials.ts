// credentials_valid (the smoke-test check) and credentials_owned_by_agent.
import fs from 'node:fs';
import { checkCredentials, type CredentialReport } from '../credentials/check.js';
import { errnoCode } from '../errors.js';
import { octal } from '../fs/mode.js';
import type { Settings } from '../settings/env.js';
import { fail, pass, skip, type ProbeVerdict } from './types.js';

export function probeCredentialsValid(report: CredentialReport): ProbeVerdict {
  if (report.status === 'ok') return pass(report.message);
  const evidence = report.evidence;
  return fail(report.message, {
    operation: evidence?.operation ?? `judge the content of ${report.path ?? 'the credentials'}`,
    errno: evidence?.errno,
    path: evidence?.path ?? report.path,
    owner_uid: evidence?.ownerUid,
    owner_gid: evidence?.ownerGid,
    mode: evidence?.mode,
    observed: report.reason,
    expected: 'valid credentials',
  });
}

/** The credentials file (or the artifact the scan found) must belong to the agent uid. */
export function probeCredentialsOwned(settings: Settings, report: CredentialReport): ProbeVerdict {
  const file = report.source === 'env' ? undefined : report.path;
  if (file === undefined || report.reason === 'absent' || report.reason === 'walk-error') {
    return skip(report.source === 'env' ? `credentials come from the environment (${report.detail})` : 'no credentials file to own');
  }
  let stat: fs.Stats;
  try {
    stat = fs.lstatSync(file);
  } catch (error) {
    return fail(`cannot examine ${file} as uid ${process.getuid?.()}; give the config dir to the agent (run mode as root migrates ownership)`, {
      operation: `lstat(${file})`,
      errno: errnoCode(error),
      path: file,
    });
  }
  const evidence = { operation: `lstat(${file})`, path: file, owner_uid: stat.uid, owner_gid: stat.gid, mode: octal(stat.mode) };
  if (stat.uid !== settings.uid) {
    return fail(
      `${file} is owned by uid ${stat.uid}, not the agent ${settings.uid}: the CLI cannot rewrite it when it refreshes; start the slot once in run mode as root (AGENT_FIX_OWNERSHIP=true) or chown ${settings.uid}:${settings.gid} it`,
      { ...evidence, expected: settings.uid },
    );
  }
  const loose = stat.mode & 0o077 ? `; its mode ${octal(stat.mode)} lets other users read it (chmod 600)` : '';
  return pass(`${file} is owned by the agent (uid ${stat.uid})${loose}`);
}

export function credentialReport(settings: Settings): CredentialReport {
  return checkCredentials(settings, { now: Date.now(), useEnv: true });
}
