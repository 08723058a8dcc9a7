// smoke-test: the Kubernetes startup probe. Exit 0 ready, 64 CLI broken, 65 credentials missing,
// 66 credentials invalid, 78 configuration error, 1 internal error: an orchestrator dispatches on
// these numbers. Exactly one JSON line on stdout, one `smoke-test: ...` sentence on stderr.
// It writes nothing, makes no network call and never prints a secret (all output is scrubbed).
import { ConfigError, EXIT, ExitError } from '../errors.js';
import { checkCredentials, type CredentialReport } from '../credentials/check.js';
import { isoTime } from '../credentials/verdict.js';
import { agentCli, becomeAgent } from '../probes/as-agent.js';
import { checkCli, type CliCheck } from '../probes/cli.js';
import type { Settings } from '../settings/env.js';
import { knownAgent } from '../settings/modes.js';
import { oneLine, type ErrorPresenter, type Io, type ModeContext } from './types.js';

export type SmokeStatus = 'ok' | 'cli-broken' | 'creds-missing' | 'creds-invalid' | 'error';

/** The JSON line. Fields that do not apply are null, so every line has the same keys. */
export interface SmokeReport {
  status: SmokeStatus;
  agent: string | null;
  /** The deciding check's reason word: a credential reason when ok or creds-*, a CLI reason when cli-broken. */
  reason: string;
  /** The same sentence as on stderr, without the prefix. */
  detail: string;
  /** The file the verdict is about: the CLI for cli-broken, else the credentials (null for env). */
  path: string | null;
  cli: string | null;
  cli_version: string | null;
  creds_source: CredentialReport['source'] | null;
  creds_status: CredentialReport['status'] | null;
  creds_reason: CredentialReport['reason'] | null;
  access_token_expires_at: string | null;
  access_token_expired: boolean | null;
  /** Who the checks ran as. */
  uid: number;
  /** What blocked a read (unreadable, walk-error), or the CLI's failure. */
  errno: string | null;
  owner_uid: number | null;
  mode: string | null;
  cli_exit_code: number | null;
  cli_stderr: string | null;
  exit_code: number;
  /** Since this process started, node's own start-up included. */
  duration_ms: number;
}

const STATUS_BY_CREDS = {
  ok: { status: 'ok', code: EXIT.ok },
  missing: { status: 'creds-missing', code: EXIT.credsMissing },
  invalid: { status: 'creds-invalid', code: EXIT.credsInvalid },
} as const;

/** A report with every key in its documented order; fields that do not apply are null. */
function baseReport(head: Pick<SmokeReport, 'status' | 'agent' | 'reason' | 'detail' | 'uid' | 'exit_code'>): SmokeReport {
  return {
    status: head.status,
    agent: head.agent,
    reason: head.reason,
    detail: oneLine(head.detail),
    path: null,
    cli: null,
    cli_version: null,
    creds_source: null,
    creds_status: null,
    creds_reason: null,
    access_token_expires_at: null,
    access_token_expired: null,
    uid: head.uid,
    errno: null,
    owner_uid: null,
    mode: null,
    cli_exit_code: null,
    cli_stderr: null,
    exit_code: head.exit_code,
    duration_ms: Math.round(performance.now()),
  };
}

/** Combines both checks into the report; the CLI check wins (64 regardless of credentials). */
export function smokeReport(agent: string, uid: number, cli: CliCheck, creds: CredentialReport, now: number): SmokeReport {
  const cliBroken = cli.status === 'broken';
  const outcome = cliBroken ? { status: 'cli-broken' as const, code: EXIT.cliBroken } : STATUS_BY_CREDS[creds.status];
  const expires = creds.accessTokenExpiresAt;
  const head = { status: outcome.status, agent, reason: cliBroken ? cli.reason : creds.reason, detail: cliBroken ? cli.message : creds.message, uid, exit_code: outcome.code };
  return {
    ...baseReport(head),
    path: (cliBroken ? cli.path : creds.path) ?? null,
    cli: cli.path ?? null,
    cli_version: cli.version ?? null,
    creds_source: creds.source ?? null,
    creds_status: creds.status,
    creds_reason: creds.reason,
    access_token_expires_at: expires === undefined ? null : isoTime(expires),
    access_token_expired: expires === undefined ? null : expires <= now,
    errno: (cliBroken ? cli.evidence.errno : creds.evidence?.errno) ?? null,
    owner_uid: cliBroken ? null : (creds.evidence?.ownerUid ?? null),
    mode: cliBroken ? null : (creds.evidence?.mode ?? null),
    cli_exit_code: cli.evidence.exitCode ?? null,
    cli_stderr: cli.evidence.stderrTail ?? null,
  };
}

/** The one sentence on stderr: the verdict, its exit code, and the detail (the version when ready). */
function sentence(report: SmokeReport): string {
  const label: Record<SmokeStatus, string> = {
    ok: 'ready',
    'cli-broken': 'CLI broken',
    'creds-missing': 'credentials missing',
    'creds-invalid': 'credentials invalid',
    error: report.exit_code === EXIT.config ? 'configuration error' : 'internal error (a bug; please report it)',
  };
  if (report.status === 'ok') return `smoke-test: ready (0): ${report.cli_version ?? report.cli}; ${report.detail}\n`;
  return `smoke-test: ${label[report.status]} (${report.exit_code}): ${report.detail}\n`;
}

/** Prints the JSON line and the sentence. */
function emit(io: Io, report: SmokeReport): void {
  io.stdout(`${JSON.stringify(report)}\n`);
  io.stderr(sentence(report));
}

function errorReport(agent: string | undefined, exitCode: number, reason: string, detail: string): SmokeReport {
  return baseReport({ status: 'error', agent: knownAgent(agent), reason, detail, uid: process.getuid?.() ?? -1, exit_code: exitCode });
}

/** A configuration error (exit 78, raised before the mode runs) still keeps the probe's output contract. */
export const presentError: ErrorPresenter = (error, io, context) => {
  emit(io, errorReport(context.agent, error.exitCode, error.exitCode === EXIT.config ? 'config' : 'internal', error.message));
};

async function probe(settings: Settings): Promise<SmokeReport> {
  const identity = becomeAgent(settings);
  // The CLI starts first and runs while the credentials are read: the probe costs about one `--version`.
  const cliCheck = checkCli(agentCli(settings));
  const now = Date.now();
  const creds = checkCredentials(settings, { now, useEnv: true });
  return smokeReport(settings.agent, identity.uid, await cliCheck, creds, now);
}

export async function run({ settings, args, io }: ModeContext): Promise<number> {
  if (args.length > 0) throw new ConfigError(`smoke-test takes no arguments (got ${JSON.stringify(args[0])}); configure it with AGENT_SMOKE_TIMEOUT`);
  let report: SmokeReport;
  try {
    report = await probe(settings);
  } catch (error) {
    // Contract: 1 only for an internal failure, and still one JSON line.
    const message = error instanceof ExitError ? error.message : error instanceof Error ? (error.stack ?? error.message) : String(error);
    report = errorReport(settings.agent, EXIT.failure, 'internal', message);
  }
  emit(io, report);
  return report.exit_code;
}
