// The only module that reads the environment: one zod schema turns it into typed settings.
import { isIPv4 } from 'node:net';
import path from 'node:path';
import { constants as osConstants } from 'node:os';
import * as z from 'zod/mini';
import { ConfigError } from '../errors.js';
import { registerSecret } from '../log/secrets.js';
import { parseDuration } from './duration.js';
import { splitWords } from './words.js';
import { AGENTS, MODES, type Agent, type Mode } from './modes.js';

/** Variables whose values are secrets: they are never echoed, not even in an error. */
export const SECRET_VARIABLES = [
  'CODEX_SESSION',
  'OPENAI_API_KEY',
  'CODEX_API_KEY',
  'ANTHROPIC_API_KEY',
  'CLAUDE_CODE_OAUTH_TOKEN',
] as const;

/**
 * Variables consumed by this program and never handed to the supervised command: the seed, and
 * the image's compile cache for this program (a Node-based CLI has no use for root's cache).
 */
const CONSUMED_ONLY = ['CODEX_SESSION', 'NODE_COMPILE_CACHE'] as const;

type Payload = z.core.ParsePayload;

/** Records one problem with a variable; the message names what is accepted. */
function reject(ctx: Payload, input: string, problem: string, accepted: string): never {
  ctx.issues.push({ code: 'custom', message: problem, input, params: { accepted } });
  return z.NEVER;
}

/** An optional variable; empty strings count as unset (a common Kubernetes `value: ""`). */
function variable<T>(parse: (value: string, ctx: Payload) => T) {
  return z.pipe(
    z.optional(z.string()),
    z.transform((value: string | undefined, ctx): T | undefined =>
      value === undefined || value.trim() === '' ? undefined : parse(value.trim(), ctx),
    ),
  );
}

const text = () => variable((value) => value);

const choice = <const T extends string>(values: readonly T[]) =>
  variable((value, ctx): T =>
    (values as readonly string[]).includes(value)
      ? (value as T)
      : reject(ctx, value, 'is not a known value', values.join(', ')),
  );

const TRUE = ['true', '1', 'yes', 'on'];
const FALSE = ['false', '0', 'no', 'off'];
const bool = () =>
  variable((value, ctx): boolean => {
    const lower = value.toLowerCase();
    if (TRUE.includes(lower)) return true;
    if (FALSE.includes(lower)) return false;
    return reject(ctx, value, 'is not a boolean', 'true or false (also 1/0, yes/no, on/off)');
  });

const duration = () =>
  variable((value, ctx): number => {
    const ms = parseDuration(value);
    return ms === undefined ? reject(ctx, value, 'is not a duration', 'a number with a unit: 500ms, 10s, 5m, 6h, 7d') : ms;
  });

const MAX_ID = 4_294_967_294;
const numericId = () =>
  variable((value, ctx): number => {
    if (!/^\d+$/.test(value) || Number(value) > MAX_ID) {
      return reject(ctx, value, 'is not a numeric id', `an integer from 0 to ${MAX_ID}, such as 10001`);
    }
    return Number(value);
  });

const positiveDuration = () =>
  variable((value, ctx): number => {
    const ms = parseDuration(value);
    if (ms === undefined) return reject(ctx, value, 'is not a duration', 'a number with a unit: 500ms, 10s, 5m, 6h, 7d');
    return ms > 0 ? ms : reject(ctx, value, 'must be longer than 0', 'a duration such as 30s or 6h');
  });

const LOOPBACK_HOSTS = new Set(['localhost', '[::1]']);

/** True for a loopback host: localhost, [::1], or an IPv4 literal in 127.0.0.0/8 (not a name like 127.evil.example). */
function isLoopbackHost(hostname: string): boolean {
  return LOOPBACK_HOSTS.has(hostname) || (isIPv4(hostname) && hostname.split('.')[0] === '127');
}

/** A token endpoint: https, or plain http only on this machine (a refresh token must not cross a network in clear). */
const tokenUrl = () =>
  variable((value, ctx): string => {
    let url: URL;
    try {
      url = new URL(value);
    } catch {
      return reject(ctx, value, 'is not a URL', 'an https:// URL (http:// only for 127.0.0.1 or localhost)');
    }
    const local = url.protocol === 'http:' && isLoopbackHost(url.hostname);
    return url.protocol === 'https:' || local
      ? url.href
      : reject(ctx, value, 'must be an https:// URL', 'an https:// URL (http:// only for 127.0.0.1 or localhost)');
  });

const absolutePath = () =>
  variable((value, ctx): string =>
    path.isAbsolute(value) ? path.resolve(value) : reject(ctx, value, 'is not an absolute path', 'a path starting with /'),
  );

const pathList = () =>
  variable((value, ctx): string[] => {
    const entries = value.split(':').filter((entry) => entry !== '');
    const relative = entries.find((entry) => !path.isAbsolute(entry));
    if (relative !== undefined) {
      return reject(ctx, value, `holds a relative path (${relative})`, 'colon-separated absolute paths, such as /configs:/secrets');
    }
    return entries.map((entry) => path.resolve(entry));
  });

const signalName = () =>
  variable((value, ctx): NodeJS.Signals | undefined => {
    if (['none', 'off'].includes(value.toLowerCase())) return undefined;
    const name = (value.toUpperCase().startsWith('SIG') ? value.toUpperCase() : `SIG${value.toUpperCase()}`) as NodeJS.Signals;
    return name in osConstants.signals && name !== 'SIGKILL' && name !== 'SIGSTOP'
      ? name
      : reject(ctx, value, 'is not a signal name', 'a signal such as SIGHUP or SIGUSR1, or none');
  });

const present = () => variable(() => true);

/** A command line split into words (quotes honoured, nothing expanded). */
const commandWords = () =>
  variable((value, ctx): string[] => {
    const accepted = 'a command line such as: codex login --device-auth (quotes group words; no shell syntax)';
    const split = splitWords(value);
    if ('problem' in split) return reject(ctx, value, split.problem, accepted);
    return split.words[0] ? split.words : reject(ctx, value, 'names no command', accepted);
  });

const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;

/** The raw schema: one entry per variable, each parsed on its own so every problem is reported. */
const EnvSchema = z.object({
  AGENT: choice(AGENTS),
  AGENT_MODE: choice(MODES),
  AGENT_UID: numericId(),
  AGENT_GID: numericId(),
  AGENT_ALLOW_ROOT: bool(),
  AGENT_HOME: absolutePath(),
  AGENT_CONFIG_DIR: absolutePath(),
  CODEX_HOME: absolutePath(),
  CLAUDE_CONFIG_DIR: absolutePath(),
  AGENT_WORKSPACE: absolutePath(),
  AGENT_SHARED_HOME: absolutePath(),
  AGENT_DEFAULTS_DIR: absolutePath(),
  AGENT_OVERLAY_DIR: absolutePath(),
  AGENT_HANDOVER_PATHS: pathList(),
  AGENT_FIX_OWNERSHIP: bool(),
  AGENT_STOP_GRACE: duration(),
  CODEX_SESSION: text(),
  LOG_LEVEL: choice(LOG_LEVELS),
  LOG_FORMAT: choice(['json', 'pretty'] as const),
  // smoke-test, auth-init, doctor
  AGENT_SMOKE_TIMEOUT: duration(),
  AGENT_AUTH_INIT_FORCE: bool(),
  AGENT_AUTH_INIT_TIMEOUT: duration(),
  AGENT_LOGIN_COMMAND: commandWords(),
  DOCKER_HOST: text(),
  OPENAI_API_KEY: present(),
  CODEX_API_KEY: present(),
  ANTHROPIC_API_KEY: present(),
  CLAUDE_CODE_OAUTH_TOKEN: present(),
  // token refresh
  AGENT_REFRESH: bool(),
  AGENT_REFRESH_MARGIN: duration(),
  AGENT_REFRESH_MAX_AGE: duration(),
  AGENT_REFRESH_INTERVAL: positiveDuration(),
  AGENT_REFRESH_TIMEOUT: positiveDuration(),
  AGENT_REFRESH_BACKOFF: positiveDuration(),
  AGENT_REFRESH_BACKOFF_MAX: positiveDuration(),
  CODEX_REFRESH_TOKEN_URL_OVERRIDE: tokenUrl(),
  CLAUDE_REFRESH_TOKEN_URL_OVERRIDE: tokenUrl(),
  // live config reload
  AGENT_RELOAD: bool(),
  AGENT_RELOAD_DEBOUNCE: duration(),
  AGENT_ON_CONFIG_CHANGE: signalName(),
  PATH: text(),
});

/** Every variable this program reads (manifests are checked against this list). */
export const ENV_VARIABLES: readonly string[] = Object.keys(EnvSchema.shape);

export type LogLevel = (typeof LOG_LEVELS)[number];
export type LogFormat = 'json' | 'pretty';

export interface Paths {
  home: string;
  configDir: string;
  workspace: string;
  sharedHome: string;
  defaultsDir: string;
  overlayDir: string;
  handover: string[];
}

export interface Settings {
  agent: Agent;
  mode: Mode;
  uid: number;
  gid: number;
  allowRoot: boolean;
  paths: Paths;
  fixOwnership: boolean;
  stopGraceMs: number;
  /** The JSON text of auth.json to seed (codex); a secret. */
  codexSession: string | undefined;
  log: { level: LogLevel; format: LogFormat };
  smoke: { timeoutMs: number };
  /** loginCommand: AGENT_LOGIN_COMMAND split into words (undefined: the CLI's own login command). */
  authInit: { force: boolean; timeoutMs: number; loginCommand: string[] | undefined };
  dockerHost: string | undefined;
  /** Which credential variables are set (their values are never kept here). */
  credentialEnv: { openaiApiKey: boolean; codexApiKey: boolean; anthropicApiKey: boolean; claudeOauthToken: boolean };
  refresh: {
    enabled: boolean;
    marginMs: number;
    maxAgeMs: number;
    intervalMs: number;
    timeoutMs: number;
    /** First retry delay after a transient failure; doubles up to backoffMaxMs. */
    backoffMs: number;
    backoffMaxMs: number;
    codexTokenUrl: string;
    claudeTokenUrl: string;
  };
  reload: { enabled: boolean; debounceMs: number; onChangeSignal: NodeJS.Signals | undefined };
  /** PATH used to find the command to run. */
  searchPath: string;
  /** The environment handed to the supervised command, before HOME/USER/... are set. */
  childEnv: Record<string, string>;
}

export const CODEX_TOKEN_URL = 'https://auth.openai.com/oauth/token';
export const CLAUDE_TOKEN_URL = 'https://platform.claude.com/v1/oauth/token';
const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/** Defaults that the README's configuration table documents. */
export const DEFAULTS = {
  uid: 10001,
  gid: 10001,
  sharedHome: '/agent-home',
  stopGraceMs: 10_000,
  smokeTimeoutMs: 10_000,
  authInitTimeoutMs: 30 * 60_000,
  refreshMarginMs: { codex: 4 * 3_600_000, claude: 3_600_000 },
  refreshMaxAgeMs: 7 * 86_400_000,
  refreshIntervalMs: 6 * 3_600_000,
  refreshTimeoutMs: 30_000,
  refreshBackoffMs: 60_000,
  refreshBackoffMaxMs: 30 * 60_000,
  reloadDebounceMs: 500,
} as const;

const ACCEPTED: Partial<Record<keyof z.infer<typeof EnvSchema>, string>> = {
  AGENT: AGENTS.join(', '),
  AGENT_MODE: MODES.join(', '),
  LOG_LEVEL: LOG_LEVELS.join(', '),
  LOG_FORMAT: 'json, pretty',
};

/** Turns the first schema issue into one sentence naming the variable, the value and what is accepted. */
function describeIssue(issue: z.core.$ZodIssue, env: Record<string, string | undefined>): string {
  const name = String(issue.path[0] ?? 'environment');
  const raw = env[name];
  const shown = (SECRET_VARIABLES as readonly string[]).includes(name) || raw === undefined ? '' : ` (got ${JSON.stringify(raw)})`;
  const params = 'params' in issue ? (issue.params as { accepted?: string } | undefined) : undefined;
  const accepted = params?.accepted ?? ACCEPTED[name as keyof typeof ACCEPTED];
  const problem = issue.code === 'custom' ? issue.message : 'is not valid';
  return `${name} ${problem}${shown}${accepted ? `; accepted: ${accepted}` : ''}`;
}

export interface LoadOptions {
  /** The mode chosen on the command line; wins over AGENT_MODE. */
  mode?: Mode | undefined;
}

/**
 * Parses the environment once into Settings. Throws ConfigError (exit 78) naming the variable.
 * Secret values are registered for redaction and never copied into messages.
 */
export function loadSettings(env: Record<string, string | undefined>, options: LoadOptions = {}): Settings {
  for (const name of SECRET_VARIABLES) registerSecret(env[name], { permanent: true });
  const parsed = EnvSchema.safeParse(env);
  if (!parsed.success) {
    const issues = parsed.error.issues.filter((issue) => !(options.mode && issue.path[0] === 'AGENT_MODE'));
    if (issues.length > 0) {
      const [first, ...rest] = issues;
      const more = rest.length > 0 ? ` (and ${rest.map((issue) => String(issue.path[0])).join(', ')})` : '';
      throw new ConfigError(`${describeIssue(first!, env)}${more}`);
    }
  }
  const raw = parsed.success ? parsed.data : EnvSchema.parse({ ...env, AGENT_MODE: undefined });
  const agent = raw.AGENT;
  if (agent === undefined) {
    throw new ConfigError(`AGENT is not set; accepted: ${AGENTS.join(', ')} (set it in the image, e.g. ENV AGENT=codex)`);
  }
  const allowRoot = raw.AGENT_ALLOW_ROOT ?? false;
  const uid = raw.AGENT_UID ?? DEFAULTS.uid;
  const gid = raw.AGENT_GID ?? DEFAULTS.gid;
  for (const [name, value] of [['AGENT_UID', uid], ['AGENT_GID', gid]] as const) {
    if (value === 0 && !allowRoot) {
      throw new ConfigError(`${name} is 0 (root); the agent must not run as root: use 10001, or set AGENT_ALLOW_ROOT=true to accept the risk`);
    }
  }
  const home = raw.AGENT_HOME ?? `/home/${agent}`;
  const cliConfigDir = agent === 'codex' ? raw.CODEX_HOME : raw.CLAUDE_CONFIG_DIR;
  const configDir = raw.AGENT_CONFIG_DIR ?? cliConfigDir ?? path.join(home, agent === 'codex' ? '.codex' : '.claude');

  const childEnv: Record<string, string> = {};
  for (const [name, value] of Object.entries(env)) {
    if (value !== undefined && !(CONSUMED_ONLY as readonly string[]).includes(name)) childEnv[name] = value;
  }

  return {
    agent,
    mode: options.mode ?? raw.AGENT_MODE ?? 'run',
    uid,
    gid,
    allowRoot,
    paths: {
      home,
      configDir,
      workspace: raw.AGENT_WORKSPACE ?? path.join(home, 'workspace'),
      sharedHome: raw.AGENT_SHARED_HOME ?? DEFAULTS.sharedHome,
      defaultsDir: raw.AGENT_DEFAULTS_DIR ?? `/etc/${agent}-defaults`,
      overlayDir: raw.AGENT_OVERLAY_DIR ?? `/etc/${agent}-config`,
      handover: raw.AGENT_HANDOVER_PATHS ?? [],
    },
    fixOwnership: raw.AGENT_FIX_OWNERSHIP ?? true,
    stopGraceMs: raw.AGENT_STOP_GRACE ?? DEFAULTS.stopGraceMs,
    codexSession: raw.CODEX_SESSION,
    log: { level: raw.LOG_LEVEL ?? 'info', format: raw.LOG_FORMAT ?? 'json' },
    smoke: { timeoutMs: raw.AGENT_SMOKE_TIMEOUT ?? DEFAULTS.smokeTimeoutMs },
    authInit: {
      force: raw.AGENT_AUTH_INIT_FORCE ?? false,
      timeoutMs: raw.AGENT_AUTH_INIT_TIMEOUT ?? DEFAULTS.authInitTimeoutMs,
      loginCommand: raw.AGENT_LOGIN_COMMAND,
    },
    dockerHost: raw.DOCKER_HOST,
    credentialEnv: {
      openaiApiKey: raw.OPENAI_API_KEY ?? false,
      codexApiKey: raw.CODEX_API_KEY ?? false,
      anthropicApiKey: raw.ANTHROPIC_API_KEY ?? false,
      claudeOauthToken: raw.CLAUDE_CODE_OAUTH_TOKEN ?? false,
    },
    refresh: {
      enabled: raw.AGENT_REFRESH ?? true,
      marginMs: raw.AGENT_REFRESH_MARGIN ?? DEFAULTS.refreshMarginMs[agent],
      maxAgeMs: raw.AGENT_REFRESH_MAX_AGE ?? DEFAULTS.refreshMaxAgeMs,
      intervalMs: raw.AGENT_REFRESH_INTERVAL ?? DEFAULTS.refreshIntervalMs,
      timeoutMs: raw.AGENT_REFRESH_TIMEOUT ?? DEFAULTS.refreshTimeoutMs,
      backoffMs: raw.AGENT_REFRESH_BACKOFF ?? DEFAULTS.refreshBackoffMs,
      backoffMaxMs: Math.max(raw.AGENT_REFRESH_BACKOFF_MAX ?? DEFAULTS.refreshBackoffMaxMs, raw.AGENT_REFRESH_BACKOFF ?? DEFAULTS.refreshBackoffMs),
      codexTokenUrl: raw.CODEX_REFRESH_TOKEN_URL_OVERRIDE ?? CODEX_TOKEN_URL,
      claudeTokenUrl: raw.CLAUDE_REFRESH_TOKEN_URL_OVERRIDE ?? CLAUDE_TOKEN_URL,
    },
    reload: {
      enabled: raw.AGENT_RELOAD ?? true,
      debounceMs: raw.AGENT_RELOAD_DEBOUNCE ?? DEFAULTS.reloadDebounceMs,
      onChangeSignal: raw.AGENT_ON_CONFIG_CHANGE,
    },
    searchPath: raw.PATH ?? DEFAULT_PATH,
    childEnv,
  };
}

/** The mode AGENT_MODE names, if it names one (the full check happens in loadSettings). */
export function modeFromEnv(env: Record<string, string | undefined>): Mode | undefined {
  const value = env.AGENT_MODE?.trim();
  return (MODES as readonly string[]).includes(value ?? '') ? (value as Mode) : undefined;
}
