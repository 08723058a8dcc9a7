// The credential check shared by smoke-test, auth-init and doctor: environment variables first,
// then the agent's credentials file, then (claude only) the artifact scan. Runs as whoever this
// process is: callers become the agent first, so ownership problems show up as they would to the CLI.
import path from 'node:path';
import type { Settings } from '../settings/env.js';
import type { Agent } from '../settings/modes.js';
import { judgeClaudeCredentials } from './claude.js';
import { judgeCodexAuth } from './codex.js';
import { credentialsPath } from './files.js';
import { readCredentialFile, type Evidence } from './read.js';
import { scanArtifacts } from './scan.js';
import { invalid, missing, ok, type CredentialVerdict } from './verdict.js';

export type CredentialSource = 'env' | 'file' | 'artifact-scan';

export interface CredentialReport extends CredentialVerdict {
  /** Where the verdict comes from; undefined when nothing was found. */
  source: CredentialSource | undefined;
  /** The file the verdict is about (absolute); undefined for env credentials. */
  path: string | undefined;
  /** One sentence for the operator: what, where, and what to do. Secret-free. */
  message: string;
  /** What blocked a read or a walk, when something did. */
  evidence?: Evidence | undefined;
}

export interface CheckOptions {
  /** The clock, in ms since the epoch. */
  now: number;
  /** Count credential variables (smoke-test); auth-init checks what its login wrote, so it does not. */
  useEnv: boolean;
}

const CREDENTIAL_VARIABLES: Record<Agent, Array<[keyof Settings['credentialEnv'], string]>> = {
  codex: [
    ['openaiApiKey', 'OPENAI_API_KEY'],
    ['codexApiKey', 'CODEX_API_KEY'],
  ],
  claude: [
    ['claudeOauthToken', 'CLAUDE_CODE_OAUTH_TOKEN'],
    ['anthropicApiKey', 'ANTHROPIC_API_KEY'],
  ],
};

/** What the operator should do about a verdict, as the end of a sentence. */
export function remedy(settings: Settings, verdict: CredentialVerdict): string {
  const { uid, gid, paths } = settings;
  if (verdict.reason === 'unreadable' || verdict.reason === 'walk-error') {
    return (
      `give the files to the agent: start the slot once in run mode as root (AGENT_FIX_OWNERSHIP=true migrates ${paths.home} to ${uid}:${gid}), ` +
      `or run chown -R ${uid}:${gid} ${paths.home} on the volume`
    );
  }
  if (verdict.status === 'missing') {
    const seed = settings.agent === 'codex' ? ', set CODEX_SESSION,' : '';
    return `log the slot in with agent-entrypoint auth-init${seed} or set ${CREDENTIAL_VARIABLES[settings.agent].map(([, name]) => name).join(' or ')}`;
  }
  return 'log the slot in again with agent-entrypoint auth-init (it replaces credentials that fail this check)';
}

function report(settings: Settings, verdict: CredentialVerdict, where: { source?: CredentialSource; path?: string; evidence?: Evidence }): CredentialReport {
  const subject = where.path ?? 'credentials';
  const message = verdict.status === 'ok' ? `${subject}: ${verdict.detail}` : `${subject} ${verdict.detail}; ${remedy(settings, verdict)}`;
  return { ...verdict, source: where.source, path: where.path, message, evidence: where.evidence };
}

/** Claude without .credentials.json: the artifact scan decides. */
function scanReport(settings: Settings, file: string): CredentialReport {
  const configDir = settings.paths.configDir;
  const scan = scanArtifacts(configDir);
  if (scan.kind === 'found') {
    const found = path.join(configDir, scan.rel);
    const verdict = ok('artifact-found', `no ${path.basename(file)}, but the artifact scan found a credential artifact (this CLI version may store its login there)`);
    return report(settings, verdict, { source: 'artifact-scan', path: found });
  }
  if (scan.kind === 'error') {
    const verdict = invalid('walk-error', `cannot be walked by the artifact scan: ${scan.operation} failed with ${scan.errno ?? 'an error'}`);
    return report(settings, verdict, { source: 'artifact-scan', path: scan.path, evidence: { operation: scan.operation, errno: scan.errno, path: scan.path } });
  }
  return report(settings, missing('absent', `does not exist and the artifact scan of ${configDir} found no credential artifact`), { path: file });
}

/** The smoke-test credential check. Never throws for a filesystem problem; never prints a secret. */
export function checkCredentials(settings: Settings, options: CheckOptions): CredentialReport {
  if (options.useEnv) {
    const set = CREDENTIAL_VARIABLES[settings.agent].find(([key]) => settings.credentialEnv[key]);
    if (set) return report(settings, ok('env', `${set[1]} is set`), { source: 'env' });
  }
  const file = credentialsPath(settings);
  const read = readCredentialFile(file);
  if (read.kind === 'problem') return report(settings, read.verdict, { source: 'file', path: file, evidence: read.evidence });
  if (read.kind === 'content') {
    const judge = settings.agent === 'codex' ? judgeCodexAuth : judgeClaudeCredentials;
    return report(settings, judge(read.text, options.now), { source: 'file', path: file });
  }
  if (settings.agent === 'claude') return scanReport(settings, file);
  return report(settings, missing('absent', 'does not exist'), { path: file });
}
