// auth-init: a one-shot job (Kubernetes Job, or `docker run -it`) that logs the agent in and proves
// that credentials landed on the volume. Exit 0 logged in (or already), 1 the login failed or wrote
// no credentials, 66 what it wrote does not pass the smoke-test check, 124 the login timed out,
// 78 configuration error, 128+n stopped by signal n. The last line of stdout is one JSON object
// (the login's own output, inherited, comes before it); logs go to stderr.
import { constants as osConstants } from 'node:os';
import { isatty } from 'node:tty';
import { prepareSlot } from '../boot/prepare.js';
import { isArtifactCandidate } from '../credentials/claude.js';
import { checkCredentials, type CredentialReport } from '../credentials/check.js';
import { CREDENTIALS_FILE } from '../credentials/files.js';
import { ownFiles } from '../credentials/scan.js';
import { ConfigError, EXIT } from '../errors.js';
import { loginCommand, terminalHint, type LoginCommand } from '../login/command.js';
import { runLogin, type LoginRun } from '../login/run.js';
import { changedFiles, snapshotTree } from '../login/snapshot.js';
import { formatDuration } from '../settings/duration.js';
import type { Settings } from '../settings/env.js';
import { knownAgent } from '../settings/modes.js';
import { childEnvironment } from '../supervise/environment.js';
import { oneLine, type ErrorPresenter, type Io, type ModeContext } from './types.js';

export type AuthInitStatus = 'already-authenticated' | 'authenticated' | 'login-failed' | 'no-credentials' | 'creds-invalid' | 'timeout' | 'interrupted' | 'error';

export interface AuthInitReport {
  status: AuthInitStatus;
  agent: string | null;
  /** A machine word: the credential reason, or what went wrong with the login. */
  reason: string;
  detail: string;
  /** Credential artifacts the login created or changed, relative to the config dir (never contents). */
  artifacts: string[];
  /** The login command's program (its arguments are not echoed). */
  login_command: string | null;
  login_exit_code: number | null;
  login_signal: string | null;
  exit_code: number;
  duration_ms: number;
}

function report(fields: Omit<AuthInitReport, 'artifacts' | 'login_command' | 'login_exit_code' | 'login_signal' | 'duration_ms'> & Partial<AuthInitReport>, start: number): AuthInitReport {
  return {
    status: fields.status,
    agent: fields.agent,
    reason: fields.reason,
    detail: oneLine(fields.detail),
    artifacts: fields.artifacts ?? [],
    login_command: fields.login_command ?? null,
    login_exit_code: fields.login_exit_code ?? null,
    login_signal: fields.login_signal ?? null,
    exit_code: fields.exit_code,
    duration_ms: Math.round(performance.now() - start),
  };
}

function emit(io: Io, result: AuthInitReport): number {
  io.stdout(`${JSON.stringify(result)}\n`);
  io.stderr(`auth-init: ${result.status} (${result.exit_code}): ${result.detail}\n`);
  return result.exit_code;
}

/** A configuration error (78) still ends with the JSON line. */
export const presentError: ErrorPresenter = (error, io, context) => {
  io.stdout(`${JSON.stringify(report({ status: 'error', agent: knownAgent(context.agent), reason: error.exitCode === EXIT.config ? 'config' : 'internal', detail: error.message, exit_code: error.exitCode }, 0))}\n`);
  io.stderr(`FATAL: ${error.message}\n`);
};

/** Changed files that can hold the agent's credentials: the credentials file, or (claude) an artifact. */
function credentialArtifacts(settings: Settings, changed: string[]): string[] {
  const credentials = CREDENTIALS_FILE[settings.agent];
  if (settings.agent === 'codex') return changed.filter((rel) => rel === credentials);
  const own = ownFiles(settings.paths.configDir);
  return changed.filter((rel) => rel === credentials || isArtifactCandidate(rel, own));
}

/** What the login's end means, when it did not simply exit 0. */
function loginProblem(settings: Settings, login: LoginCommand, run: LoginRun): Pick<AuthInitReport, 'status' | 'reason' | 'detail' | 'exit_code'> | undefined {
  const program = login.argv[0];
  if (run.interrupted) {
    return { status: 'interrupted', reason: 'signal', detail: `stopped by ${run.interrupted} while ${program} was running; nothing was checked`, exit_code: EXIT.signalBase + osConstants.signals[run.interrupted] };
  }
  if (run.timedOut) {
    const how = run.forced ? `SIGTERM, then SIGKILL after AGENT_STOP_GRACE (${formatDuration(settings.stopGraceMs)})` : 'SIGTERM';
    return { status: 'timeout', reason: 'timeout', detail: `${program} did not finish within AGENT_AUTH_INIT_TIMEOUT (${formatDuration(settings.authInit.timeoutMs)}) and was stopped with ${how}; complete the login sooner or raise the timeout`, exit_code: EXIT.timeout };
  }
  if (run.spawnError) {
    return { status: 'login-failed', reason: 'spawn-error', detail: `${program} could not be started (${run.spawnError}); install the CLI or fix ${login.origin === 'default' ? 'PATH' : 'AGENT_LOGIN_COMMAND'}`, exit_code: EXIT.loginFailed };
  }
  if (run.signal) {
    return { status: 'login-failed', reason: 'signal', detail: `${program} was killed by ${run.signal}`, exit_code: EXIT.loginFailed };
  }
  if (run.exitCode !== 0) {
    return { status: 'login-failed', reason: 'exit-code', detail: `${program} exited with ${run.exitCode}; its own output above says why`, exit_code: EXIT.loginFailed };
  }
  return undefined;
}

/** The verdict on what the login left in the config dir (environment variables do not count). */
function verify(settings: Settings, artifacts: string[]): Pick<AuthInitReport, 'status' | 'reason' | 'detail' | 'exit_code'> {
  if (artifacts.length === 0) {
    return { status: 'no-credentials', reason: 'no-credentials', detail: `the login exited 0 but no credentials were written to ${settings.paths.configDir}; check that the login completed and that the CLI stores credentials in a file there`, exit_code: EXIT.loginFailed };
  }
  const creds: CredentialReport = checkCredentials(settings, { now: Date.now(), useEnv: false });
  if (creds.status !== 'ok') return { status: 'creds-invalid', reason: creds.reason, detail: creds.message, exit_code: EXIT.credsInvalid };
  return { status: 'authenticated', reason: creds.reason, detail: `credentials written and valid: ${creds.message}`, exit_code: EXIT.ok };
}

export async function run({ settings, args, log, io }: ModeContext): Promise<number> {
  const start = performance.now();
  if (args.length > 0) throw new ConfigError(`auth-init takes no arguments (got ${JSON.stringify(args[0])}); use AGENT_LOGIN_COMMAND or AGENT_AUTH_INIT_FORCE`);
  const login = loginCommand(settings);
  // The boot's directory, ownership and privilege steps, so what the CLI writes is the agent's.
  const slot = await prepareSlot(settings, log, { layers: false, seed: false });
  const agent = settings.agent;
  const current = checkCredentials(settings, { now: Date.now(), useEnv: true });
  if (current.status === 'ok' && !settings.authInit.force) {
    return emit(io, report({ status: 'already-authenticated', agent, reason: current.reason, detail: `${current.message}; set AGENT_AUTH_INIT_FORCE=true to log in again`, exit_code: EXIT.ok }, start));
  }
  if (login.needsTerminal && !isatty(0)) throw new ConfigError(terminalHint(settings, login));

  const configDir = settings.paths.configDir;
  const before = snapshotTree(configDir);
  log.info({ step: 'login', command: login.argv[0], origin: login.origin, timeout: formatDuration(settings.authInit.timeoutMs) }, `running ${login.argv[0]} (${login.origin})`);
  const loginRun = await runLogin(login, {
    env: childEnvironment(settings, slot.user),
    cwd: settings.paths.home,
    timeoutMs: settings.authInit.timeoutMs,
    graceMs: settings.stopGraceMs,
  });
  const loginFields = { login_command: login.argv[0], login_exit_code: loginRun.exitCode ?? null, login_signal: loginRun.signal ?? null };
  const problem = loginProblem(settings, login, loginRun);
  if (problem) return emit(io, report({ ...problem, agent, ...loginFields }, start));

  const artifacts = credentialArtifacts(settings, changedFiles(before, snapshotTree(configDir)));
  log.info({ step: 'verify', artifacts, credentials: CREDENTIALS_FILE[settings.agent] }, 'login finished; checking what it wrote');
  return emit(io, report({ ...verify(settings, artifacts), agent, artifacts, ...loginFields }, start));
}
