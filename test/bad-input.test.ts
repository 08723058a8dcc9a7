// The bad-input corpus: one table of wrong environment values, layer contents, credential files,
// CLI behaviours and token-server answers, across every mode, run through the real bundle against
// a slot that has already booted once (layers applied, credentials in place, agent-owned).
//
// Every case checks the same four things:
//   - the documented exit code;
//   - the message: each fragment in `says` appears in what was printed (the variable or path,
//     and what to do);
//   - the agent's state is byte for byte what it was (home with the config dir, credentials and
//     workspace, and the shared home; content, mode, owner, mtime and inode of every entry),
//     apart from the files a case lists in `writes` (the refresh status file, whose writing is
//     the point of the mode);
//   - no secret was printed: the fixture marker, JWT payloads, every token the case's token
//     server minted, and the values of the secret variables the case set.
//
// Before each case the layers get a valid pending change (a new key, a new file), so a boot that
// fails half-way, after applying them, shows as a changed config dir.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BROKEN_TEXTS, claudeCredentials, codexAuth, SECRET_MARKER, type ClaudeKind, type CodexKind } from './fixtures/credentials.mjs';
import { FIXTURES, runBundle, type BundleResult } from './helpers/bundle.js';
import { writeConfigMap } from './helpers/kubelet.js';
import { AGENT_UID, CREDENTIALS, expectNoSecrets, fixtureCli, pathWith, writeCredentials, type Agent, type CliKind } from './helpers/probes.js';
import { urlVariable } from './helpers/refresh.js';
import { makeSlot, type Slot } from './helpers/slot.js';
import { removeTempDirs, snapshot, writeTree, type EntrySnapshot } from './helpers/tree.js';
import { startTokenServer, type Fault, type TokenServer } from './helpers/token-server.js';

afterAll(removeTempDirs);

const HOUR = 3_600_000;
type Mode = 'run' | 'smoke-test' | 'auth-init' | 'refresh' | 'doctor';

interface Context {
  slot: Slot;
  agent: Agent;
  server: TokenServer;
  /** The fixture CLI's bin directory (first on PATH). */
  bin: string;
  /** The credentials file. */
  credentials: string;
}

interface Case {
  name: string;
  mode: Mode;
  agent?: Agent;
  /** Arguments after the mode (run mode: the command; default `true`). */
  args?: string[] | ((ctx: Context) => string[]);
  env?: Record<string, string> | ((ctx: Context) => Record<string, string>);
  /** Changes the slot's inputs before the snapshot (after the first boot and the pending layer change). */
  setup?: (ctx: Context) => void | Promise<void>;
  /** The fixture CLI on PATH (default: one that answers --version). */
  cli?: CliKind;
  /** Credentials issued by the case's token server and due now (refresh cases). */
  live?: boolean;
  /** A fault the token server answers with. */
  fault?: Fault;
  exit: number;
  /** Fragments that must all appear in stdout or stderr. */
  says: string[];
  /** Files relative to the config dir that the mode writes on purpose. */
  writes?: string[];
  /** Leave the layers alone (a boot that is meant to succeed). */
  noPendingChange?: boolean;
}

const STATUS = 'auth_refresh_status.json';

// --- building blocks for the table -----------------------------------------------------------

const envCase = (mode: Mode, name: string, env: Record<string, string>, says: string[], extra: Partial<Case> = {}): Case => ({
  name: `${mode}: ${name}`,
  mode,
  env,
  exit: 78,
  says,
  ...extra,
});

const layerCase = (name: string, setup: (ctx: Context) => void, says: string[], extra: Partial<Case> = {}): Case => ({
  name: `run: layer ${name}`,
  mode: 'run',
  setup,
  exit: 78,
  says,
  ...extra,
});

const codexFile = (kind: CodexKind, exit: number, says: string[]): Case => ({
  name: `smoke-test: codex auth.json ${kind}`,
  mode: 'smoke-test',
  setup: (ctx) => void writeCredentials(ctx.slot, 'codex', codexAuth(kind)),
  exit,
  says,
});

const claudeFile = (kind: ClaudeKind, exit: number, says: string[]): Case => ({
  name: `smoke-test: claude .credentials.json ${kind}`,
  mode: 'smoke-test',
  agent: 'claude',
  setup: (ctx) => void writeCredentials(ctx.slot, 'claude', claudeCredentials(kind)),
  exit,
  says,
});

const tokenCase = (agent: Agent, name: string, fault: Fault, exit: number, says: string[], extra: Partial<Case> = {}): Case => ({
  name: `refresh: ${agent} token server ${name}`,
  mode: 'refresh',
  args: ['--once'],
  agent,
  live: true,
  fault,
  exit,
  says,
  writes: [STATUS],
  ...extra,
});

/** A layer file the overlay gets as a kubelet ConfigMap key, keeping the pending change. */
const overlayKey = (ctx: Context, key: string, content: string) => writeConfigMap(ctx.slot.overlay, { ...pendingOverlay(ctx.agent), [key]: content });

function pendingOverlay(agent: Agent): Record<string, string> {
  return agent === 'codex'
    ? { 'config.toml': 'model = "o3"\nmodel_reasoning_effort = "high"\n', 'AGENTS.md': 'new rules\n' }
    : { 'settings.json': '{"model":"opus","env":{"FOO":"2"}}\n', 'CLAUDE.md': 'new rules\n' };
}

// --- the table -------------------------------------------------------------------------------

const CASES: Case[] = [
  // Environment values, run mode.
  envCase('run', 'AGENT unset', { AGENT: '' }, ['AGENT is not set', 'ENV AGENT=codex']),
  envCase('run', 'AGENT unknown', { AGENT: 'gpt' }, ['AGENT is not a known value', '"gpt"', 'codex, claude']),
  envCase('run', 'AGENT_MODE unknown', { AGENT_MODE: 'serve' }, ['AGENT_MODE', '"serve"', 'smoke-test']),
  envCase('run', 'AGENT_UID not a number', { AGENT_UID: 'agent' }, ['AGENT_UID is not a numeric id', '10001']),
  envCase('run', 'AGENT_UID 0 without AGENT_ALLOW_ROOT', { AGENT_UID: '0' }, ['AGENT_UID is 0', 'AGENT_ALLOW_ROOT=true']),
  envCase('run', 'AGENT_GID negative', { AGENT_GID: '-5' }, ['AGENT_GID is not a numeric id', '"-5"']),
  envCase('run', 'AGENT_UID beyond the range', { AGENT_UID: '4294967295' }, ['AGENT_UID is not a numeric id', '4294967294']),
  envCase('run', 'AGENT_ALLOW_ROOT not a boolean', { AGENT_ALLOW_ROOT: 'yes please' }, ['AGENT_ALLOW_ROOT is not a boolean', 'true or false']),
  envCase('run', 'AGENT_HOME relative', { AGENT_HOME: 'home/codex' }, ['AGENT_HOME is not an absolute path', 'starting with /']),
  envCase('run', 'AGENT_CONFIG_DIR relative', { AGENT_CONFIG_DIR: '.codex' }, ['AGENT_CONFIG_DIR is not an absolute path']),
  envCase('run', 'CODEX_HOME with a tilde', { CODEX_HOME: '~/.codex' }, ['CODEX_HOME is not an absolute path']),
  envCase('run', 'AGENT_WORKSPACE relative', { AGENT_WORKSPACE: 'workspace' }, ['AGENT_WORKSPACE is not an absolute path']),
  envCase('run', 'AGENT_STOP_GRACE without a unit', { AGENT_STOP_GRACE: '10' }, ['AGENT_STOP_GRACE is not a duration', '10s']),
  envCase('run', 'AGENT_STOP_GRACE in words', { AGENT_STOP_GRACE: '5 minutes' }, ['AGENT_STOP_GRACE is not a duration', '"5 minutes"']),
  envCase('run', 'AGENT_FIX_OWNERSHIP not a boolean', { AGENT_FIX_OWNERSHIP: 'maybe' }, ['AGENT_FIX_OWNERSHIP is not a boolean']),
  envCase('run', 'AGENT_HANDOVER_PATHS with a relative entry', { AGENT_HANDOVER_PATHS: '/configs:secrets' }, ['AGENT_HANDOVER_PATHS holds a relative path (secrets)', 'colon-separated absolute paths']),
  envCase('run', 'LOG_LEVEL unknown', { LOG_LEVEL: 'verbose' }, ['LOG_LEVEL is not a known value', 'trace, debug, info']),
  envCase('run', 'LOG_FORMAT unknown', { LOG_FORMAT: 'xml' }, ['LOG_FORMAT is not a known value', 'json, pretty']),
  envCase('run', 'AGENT_RELOAD not a boolean', { AGENT_RELOAD: 'sometimes' }, ['AGENT_RELOAD is not a boolean']),
  envCase('run', 'AGENT_RELOAD_DEBOUNCE not a duration', { AGENT_RELOAD_DEBOUNCE: 'fast' }, ['AGENT_RELOAD_DEBOUNCE is not a duration']),
  envCase('run', 'AGENT_ON_CONFIG_CHANGE SIGKILL', { AGENT_ON_CONFIG_CHANGE: 'SIGKILL' }, ['AGENT_ON_CONFIG_CHANGE is not a signal name', 'SIGHUP']),
  envCase('run', 'AGENT_ON_CONFIG_CHANGE unknown', { AGENT_ON_CONFIG_CHANGE: 'reload' }, ['AGENT_ON_CONFIG_CHANGE is not a signal name', '"reload"']),
  envCase('run', 'AGENT_REFRESH not a boolean', { AGENT_REFRESH: 'daily' }, ['AGENT_REFRESH is not a boolean']),
  envCase('run', 'AGENT_REFRESH_INTERVAL zero', { AGENT_REFRESH_INTERVAL: '0s' }, ['AGENT_REFRESH_INTERVAL must be longer than 0']),
  envCase('run', 'AGENT_REFRESH_MARGIN negative', { AGENT_REFRESH_MARGIN: '-1h' }, ['AGENT_REFRESH_MARGIN is not a duration']),
  envCase('run', 'CODEX_REFRESH_TOKEN_URL_OVERRIDE plain http to another host', { CODEX_REFRESH_TOKEN_URL_OVERRIDE: 'http://auth.example.com/oauth/token' }, ['CODEX_REFRESH_TOKEN_URL_OVERRIDE must be an https:// URL']),
  envCase('run', 'CLAUDE_REFRESH_TOKEN_URL_OVERRIDE not a URL', { CLAUDE_REFRESH_TOKEN_URL_OVERRIDE: 'platform.claude.com/token' }, ['CLAUDE_REFRESH_TOKEN_URL_OVERRIDE is not a URL'], { agent: 'claude' }),
  envCase('run', 'two bad variables at once', { AGENT_UID: 'x', LOG_LEVEL: 'loud' }, ['AGENT_UID is not a numeric id', '(and LOG_LEVEL)']),
  envCase('run', 'CODEX_SESSION not JSON', { CODEX_SESSION: `{"tokens": {"refresh_token": "rt_${SECRET_MARKER}_cut` }, ['CODEX_SESSION is not valid JSON', 'auth.json']),
  envCase('run', 'CODEX_SESSION a JSON array', { CODEX_SESSION: `["${SECRET_MARKER}_in_an_array"]` }, ['CODEX_SESSION is JSON but not an object']),
  envCase('run', 'a secret variable with a bad value is never echoed', { CODEX_SESSION: `${SECRET_MARKER}-plain-text-session` }, ['CODEX_SESSION is not valid JSON']),
  // Environment values and arguments, the other modes.
  envCase('smoke-test', 'AGENT_SMOKE_TIMEOUT not a duration', { AGENT_SMOKE_TIMEOUT: 'soon' }, ['AGENT_SMOKE_TIMEOUT is not a duration', '"status":"error"']),
  envCase('smoke-test', 'an argument', {}, ['smoke-test takes no arguments', 'AGENT_SMOKE_TIMEOUT'], { args: ['--verbose'] }),
  envCase('auth-init', 'AGENT_AUTH_INIT_TIMEOUT not a duration', { AGENT_AUTH_INIT_TIMEOUT: 'forever' }, ['AGENT_AUTH_INIT_TIMEOUT is not a duration']),
  envCase('auth-init', 'AGENT_LOGIN_COMMAND with an unbalanced quote', { AGENT_LOGIN_COMMAND: 'codex login "--device-auth' }, ['AGENT_LOGIN_COMMAND', 'quotes group words']),
  envCase('auth-init', 'AGENT_LOGIN_COMMAND naming no command', { AGENT_LOGIN_COMMAND: "''" }, ['AGENT_LOGIN_COMMAND names no command']),
  envCase('auth-init', 'an argument', {}, ['auth-init takes no arguments', 'AGENT_LOGIN_COMMAND'], { args: ['--force'] }),
  envCase('refresh', 'an unknown argument', {}, ['refresh does not accept the argument "--now"', 'accepted: --once', '"outcome":"error:config"'], { args: ['--now'] }),
  envCase('refresh', 'AGENT_REFRESH_BACKOFF without a unit', { AGENT_REFRESH_BACKOFF: '60' }, ['AGENT_REFRESH_BACKOFF is not a duration', '"outcome":"error:config"'], { args: ['--once'] }),
  envCase('refresh', 'AGENT_REFRESH_TIMEOUT zero', { AGENT_REFRESH_TIMEOUT: '0ms' }, ['AGENT_REFRESH_TIMEOUT must be longer than 0'], { args: ['--once'] }),
  envCase('doctor', 'an unknown argument', {}, ['doctor accepts only --json', '"--yaml"', 'doctor --json for one JSON object'], { args: ['--yaml'] }),
  envCase('doctor', 'AGENT unknown', { AGENT: 'copilot' }, ['AGENT is not a known value']),

  // Layer contents (run mode): refused before anything is written.
  layerCase('TOML that does not parse', (ctx) => overlayKey(ctx, 'config.toml', `model = "o3"\napi_key = ${SECRET_MARKER}_unquoted\n`), ['config.toml is invalid TOML at line 2', 'fix the file (nothing was applied)']),
  layerCase('JSON that does not parse', (ctx) => overlayKey(ctx, 'settings.json', `{"env": {"TOKEN": "${SECRET_MARKER}"},}`), ['settings.json is invalid JSON at line 1', 'fix the file'], { agent: 'claude' }),
  layerCase('empty JSON file', (ctx) => overlayKey(ctx, 'hooks.json', ''), ['hooks.json is invalid JSON', 'empty document']),
  layerCase('TOML error in a nested file of the defaults', (ctx) => writeTree(ctx.slot.defaults, { 'profiles/deep/fast.toml': '[profile\nmodel = "x"\n' }), ['profiles/deep/fast.toml is invalid TOML', 'fix the file']),
  layerCase('symlink escaping the layer', (ctx) => fs.symlinkSync('/etc/shadow', path.join(ctx.slot.defaults, 'leak.txt')), ['leak.txt is a symlink that escapes the layer', 'copy the file into the layer instead']),
  layerCase('dangling symlink', (ctx) => fs.symlinkSync('missing.md', path.join(ctx.slot.defaults, 'prompts', 'gone.md')), ['prompts/gone.md is a dangling symlink', 'remove it or fix its target']),
  layerCase('symlink loop between two links', (ctx) => {
    fs.symlinkSync('b.md', path.join(ctx.slot.defaults, 'a.md'));
    fs.symlinkSync('a.md', path.join(ctx.slot.defaults, 'b.md'));
  }, ['is a symlink loop', 'remove it']),
  layerCase('directory symlink back to its parent', (ctx) => fs.symlinkSync('..', path.join(ctx.slot.defaults, 'prompts', 'again')), ['prompts/again is a symlink loop']),
  layerCase('a FIFO', (ctx) => void execFileSync('mkfifo', [path.join(ctx.slot.defaults, 'pipe')]), ['pipe is a FIFO', 'remove it from the layer']),
  layerCase('a socket', (ctx) => makeSocket(path.join(ctx.slot.defaults, 'agent.sock')), ['agent.sock is a socket', 'remove it from the layer']),
  layerCase('a file in one layer and a directory in the other', (ctx) => overlayKey(ctx, 'prompts', 'not a directory\n'), ['prompts is a file in one layer', 'make both the same kind']),
  layerCase('auth.json in the overlay', (ctx) => overlayKey(ctx, 'auth.json', JSON.stringify(codexAuth('valid'))), ['auth.json may not be provided by a config layer', 'CODEX_SESSION or run auth-init']),
  layerCase('.credentials.json in the overlay', (ctx) => overlayKey(ctx, '.credentials.json', JSON.stringify(claudeCredentials('valid'))), ['.credentials.json may not be provided by a config layer', 'run auth-init'], { agent: 'claude' }),
  layerCase('the manifest in the defaults', (ctx) => writeTree(ctx.slot.defaults, { '.agent-entrypoint-manifest.json': '{}' }), ['.agent-entrypoint-manifest.json may not be provided', 'remove it from the layer']),
  layerCase('the refresh status file in the overlay', (ctx) => overlayKey(ctx, STATUS, '{}'), [`${STATUS} may not be provided`, 'refresh watchdog']),
  layerCase('the refresh lock in the overlay', (ctx) => overlayKey(ctx, 'auth.json.agent-entrypoint.lock', ''), ['auth.json.agent-entrypoint.lock may not be provided', 'refresh lock']),
  layerCase('a file named like a temp file', (ctx) => writeTree(ctx.slot.defaults, { '.agent-entrypoint.tmp.1.a': 'x' }), ['.agent-entrypoint.tmp.1.a may not be provided', 'temporary file name']),
  layerCase('AGENT_DEFAULTS_DIR is a file', (ctx) => writeTree(ctx.slot.root, { 'defaults-file': 'x' }), ['AGENT_DEFAULTS_DIR', 'is not a directory', 'point AGENT_DEFAULTS_DIR at the directory'], {
    env: (ctx) => ({ AGENT_DEFAULTS_DIR: path.join(ctx.slot.root, 'defaults-file') }),
  }),
  layerCase('a directory in the config dir where a layer puts a file', (ctx) => {
    overlayKey(ctx, 'notes.md', 'notes\n');
    fs.mkdirSync(path.join(ctx.slot.configDir, 'notes.md'));
    fs.chownSync(path.join(ctx.slot.configDir, 'notes.md'), AGENT_UID, AGENT_UID);
  }, ['notes.md is a directory, but a config layer provides a file there', 'move it aside']),
  layerCase('a file in the config dir where a layer puts a directory', (ctx) => {
    writeTree(ctx.slot.defaults, { 'skills/review/SKILL.md': '# review\n' });
    writeCredentials(ctx.slot, 'codex', 'agent notes\n', { rel: 'skills' });
  }, ['skills is not a directory, but a config layer provides a directory there', 'move it aside']),
  layerCase('a symlink in the config dir where a layer puts a directory', (ctx) => {
    writeTree(ctx.slot.defaults, { 'prompts-link/x.md': 'x\n' });
    fs.symlinkSync('/etc', path.join(ctx.slot.configDir, 'prompts-link'));
  }, ['prompts-link is a symlink, but a config layer provides a directory there', 'move it aside']),
  layerCase('AGENT_CONFIG_DIR is a file', (ctx) => writeTree(ctx.slot.home, { 'config-file': 'x' }), ['AGENT_CONFIG_DIR', 'exists but is not a directory', 'move it aside or point AGENT_CONFIG_DIR elsewhere'], {
    env: (ctx) => ({ AGENT_CONFIG_DIR: path.join(ctx.slot.home, 'config-file') }),
  }),
  layerCase('AGENT_WORKSPACE a symlink inside the agent-owned home', (ctx) => {
    fs.rmSync(ctx.slot.workspace, { recursive: true });
    fs.symlinkSync('/etc', ctx.slot.workspace);
  }, ['AGENT_WORKSPACE', 'is a symlink inside a directory owned by uid 10001', 'set AGENT_WORKSPACE to the real directory']),

  // The command to run (run mode).
  { name: 'run: the command does not exist', mode: 'run', args: ['no-such-agent-cli'], exit: 127, says: ['no-such-agent-cli: command not found in PATH', 'check the image installs it'] },
  {
    name: 'run: the command is not executable',
    mode: 'run',
    args: (ctx) => [path.join(ctx.slot.root, 'tool.sh')],
    setup: (ctx) => writeTree(ctx.slot.root, { 'tool.sh': '#!/bin/sh\n' }, 0o644),
    exit: 126,
    says: ['is not executable', 'chmod +x'],
  },

  // Credential files (smoke-test).
  { name: 'smoke-test: codex auth.json absent', mode: 'smoke-test', setup: (ctx) => fs.rmSync(ctx.credentials), exit: 65, says: ['credentials missing (65)', 'auth-init'] },
  ...(['empty', 'not-json', 'bom'] as const).map((kind): Case => ({
    name: `smoke-test: codex auth.json ${kind} text`,
    mode: 'smoke-test',
    setup: (ctx) => void writeCredentials(ctx.slot, 'codex', BROKEN_TEXTS[kind]),
    exit: 66,
    says: ['credentials invalid (66)', 'auth.json'],
  })),
  codexFile('blanked', 66, ['blanked', 'auth-init']),
  codexFile('blanked-refresh', 66, ['blanked', 'auth.json']),
  codexFile('malformed-id-token', 66, ['id_token', 'auth.json']),
  codexFile('wrong-shape', 66, ['auth.json', 'credentials invalid (66)']),
  codexFile('unknown-mode', 66, ['auth_mode', 'auth.json']),
  codexFile('bad-last-refresh', 66, ['last_refresh', 'auth.json']),
  codexFile('empty-object', 66, ['no-tokens', 'auth.json']),
  codexFile('empty-api-key', 66, ['OPENAI_API_KEY', 'auth.json']),
  {
    name: 'smoke-test: codex auth.json owned by uid 1000, mode 0600',
    mode: 'smoke-test',
    setup: (ctx) => void writeCredentials(ctx.slot, 'codex', codexAuth('valid'), { owner: 1000 }),
    exit: 66,
    says: ['auth.json', 'EACCES', '1000'],
  },
  {
    name: 'smoke-test: codex auth.json a directory',
    mode: 'smoke-test',
    setup: (ctx) => {
      fs.rmSync(ctx.credentials);
      fs.mkdirSync(ctx.credentials);
      fs.chownSync(ctx.credentials, AGENT_UID, AGENT_UID);
    },
    exit: 66,
    says: ['auth.json', 'not a regular file'],
  },
  {
    name: 'smoke-test: codex auth.json a symlink to a root-only file',
    mode: 'smoke-test',
    setup: (ctx) => {
      fs.rmSync(ctx.credentials);
      fs.symlinkSync('/etc/shadow', ctx.credentials);
    },
    exit: 66,
    says: ['auth.json', 'EACCES'],
  },
  {
    name: 'smoke-test: codex auth.json far too large',
    mode: 'smoke-test',
    setup: (ctx) => void writeCredentials(ctx.slot, 'codex', `{"pad":"${'x'.repeat(4 * 1024 * 1024)}"}`),
    exit: 66,
    says: ['auth.json', 'too large'],
  },
  { name: 'smoke-test: claude credentials absent, nothing else', mode: 'smoke-test', agent: 'claude', setup: (ctx) => fs.rmSync(ctx.credentials), exit: 65, says: ['credentials missing (65)', 'auth-init'] },
  claudeFile('blanked', 66, ['.credentials.json', 'auth-init']),
  claudeFile('expires-zero', 66, ['.credentials.json', 'blanked']),
  claudeFile('missing-scope', 66, ['user:inference', '.credentials.json']),
  claudeFile('wrong-shape', 66, ['.credentials.json', 'credentials invalid (66)']),
  claudeFile('no-login', 65, ['.credentials.json', 'credentials missing (65)']),
  claudeFile('expired-no-refresh', 66, ['.credentials.json', 'expired']),
  {
    name: 'smoke-test: claude .credentials.json not JSON',
    mode: 'smoke-test',
    agent: 'claude',
    setup: (ctx) => void writeCredentials(ctx.slot, 'claude', BROKEN_TEXTS['not-json']),
    exit: 66,
    says: ['.credentials.json', 'line 1'],
  },
  {
    name: 'smoke-test: claude config dir unreadable by the agent, no credentials file',
    mode: 'smoke-test',
    agent: 'claude',
    setup: (ctx) => {
      fs.rmSync(ctx.credentials);
      const sub = path.join(ctx.slot.configDir, 'private');
      fs.mkdirSync(sub, { mode: 0o700 });
    },
    exit: 66,
    says: ['private', 'EACCES'],
  },

  // CLI behaviours.
  { name: 'smoke-test: CLI missing', mode: 'smoke-test', cli: 'missing', exit: 64, says: ['CLI broken (64)', 'codex'] },
  { name: 'smoke-test: CLI not executable', mode: 'smoke-test', cli: 'not-executable', exit: 64, says: ['CLI broken (64)', 'not executable'] },
  { name: 'smoke-test: CLI fails', mode: 'smoke-test', cli: 'fail', exit: 64, says: ['CLI broken (64)', 'Missing optional dependency'] },
  { name: 'smoke-test: CLI hangs past AGENT_SMOKE_TIMEOUT', mode: 'smoke-test', cli: 'hang', env: { AGENT_SMOKE_TIMEOUT: '300ms' }, exit: 64, says: ['CLI broken (64)', 'AGENT_SMOKE_TIMEOUT'] },
  { name: 'smoke-test: claude CLI fails', mode: 'smoke-test', agent: 'claude', cli: 'fail', exit: 64, says: ['CLI broken (64)', 'claude'] },
  { name: 'doctor: CLI fails', mode: 'doctor', cli: 'fail', exit: 1, says: ['cli_runs', 'FAIL', 'Missing optional dependency'] },
  { name: 'doctor: CLI hangs', mode: 'doctor', cli: 'hang', env: { AGENT_SMOKE_TIMEOUT: '300ms' }, exit: 1, says: ['cli_runs', 'AGENT_SMOKE_TIMEOUT'] },
  {
    name: 'doctor: credentials owned by uid 1000',
    mode: 'doctor',
    args: ['--json'],
    setup: (ctx) => void writeCredentials(ctx.slot, 'codex', codexAuth('valid'), { owner: 1000 }),
    exit: 1,
    says: ['credentials_valid', 'EACCES', 'auth.json'],
  },
  {
    name: 'doctor: a layer that does not plan',
    mode: 'doctor',
    setup: (ctx) => overlayKey(ctx, 'config.toml', 'model = \n'),
    exit: 1,
    says: ['layers_valid', 'config.toml is invalid TOML'],
  },
  {
    name: 'auth-init: the login fails',
    mode: 'auth-init',
    setup: (ctx) => fs.rmSync(ctx.credentials),
    env: { AGENT_LOGIN_COMMAND: `node ${path.join(FIXTURES, 'login.mjs')} fail` },
    exit: 1,
    says: ['login-failed', 'exited with 3'],
  },
  {
    name: 'auth-init: the login writes nothing',
    mode: 'auth-init',
    setup: (ctx) => fs.rmSync(ctx.credentials),
    env: { AGENT_LOGIN_COMMAND: `node ${path.join(FIXTURES, 'login.mjs')} nothing` },
    exit: 1,
    says: ['no-credentials', 'no credentials were written to'],
  },
  {
    name: 'auth-init: the login hangs past AGENT_AUTH_INIT_TIMEOUT',
    mode: 'auth-init',
    setup: (ctx) => void writeCredentials(ctx.slot, 'codex', codexAuth('blanked')),
    env: { AGENT_LOGIN_COMMAND: `node ${path.join(FIXTURES, 'login.mjs')} hang-hard`, AGENT_AUTH_INIT_TIMEOUT: '300ms', AGENT_STOP_GRACE: '200ms' },
    exit: 124,
    says: ['did not finish within AGENT_AUTH_INIT_TIMEOUT', 'raise the timeout'],
  },
  {
    name: 'auth-init: the login command does not exist',
    mode: 'auth-init',
    setup: (ctx) => fs.rmSync(ctx.credentials),
    env: { AGENT_LOGIN_COMMAND: '/nonexistent/login --now' },
    exit: 1,
    says: ['could not be started', 'AGENT_LOGIN_COMMAND'],
  },
  {
    name: "auth-init: claude's login needs a terminal and stdin is not one",
    mode: 'auth-init',
    agent: 'claude',
    setup: (ctx) => fs.rmSync(ctx.credentials),
    exit: 78,
    says: ['needs a terminal', 'docker run -it'],
  },

  // Token-server answers (refresh --once): the credentials stay as they were.
  tokenCase('codex', 'refresh_token_reused', { kind: 'error', code: 'refresh_token_reused' }, 3, ['fail:permanent_refresh_token_reused', 'auth-init']),
  tokenCase('codex', 'refresh_token_expired', { kind: 'error', code: 'refresh_token_expired' }, 3, ['fail:permanent_refresh_token_expired', 'auth-init']),
  tokenCase('codex', 'refresh_token_invalidated', { kind: 'error', code: 'refresh_token_invalidated' }, 3, ['fail:permanent_refresh_token_invalidated']),
  tokenCase('codex', '401 without a code', { kind: 'status', status: 401, body: '{}' }, 3, ['fail:permanent_http_401']),
  tokenCase('claude', 'invalid_grant', { kind: 'error', code: 'invalid_grant' }, 3, ['fail:permanent_invalid_grant', 'auth-init']),
  tokenCase('codex', '500', { kind: 'status', status: 500 }, 2, ['fail:transient_http_500']),
  tokenCase('claude', '429', { kind: 'status', status: 429 }, 2, ['fail:transient_http_429']),
  tokenCase('codex', 'an HTML page with 200', { kind: 'non-json' }, 2, ['fail:transient_invalid_response']),
  tokenCase('claude', 'a wrongly shaped 200', { kind: 'wrong-shape' }, 2, ['fail:transient_invalid_response']),
  tokenCase('codex', 'an answer of 1 MiB', { kind: 'huge', bytes: 1024 * 1024 }, 2, ['fail:transient_response_too_large']),
  tokenCase('codex', 'no answer within AGENT_REFRESH_TIMEOUT', { kind: 'slow', ms: 3_000 }, 2, ['fail:transient_timeout', 'AGENT_REFRESH_TIMEOUT'], { env: { AGENT_REFRESH_TIMEOUT: '300ms' } }),
  tokenCase('claude', 'gone (nothing listens on its port)', { kind: 'status', status: 200 }, 2, ['fail:transient_network', 'will retry'], { setup: (ctx) => ctx.server.close() }),
  {
    name: 'refresh: codex auth.json not JSON',
    mode: 'refresh',
    args: ['--once'],
    setup: (ctx) => void writeCredentials(ctx.slot, 'codex', BROKEN_TEXTS['not-json']),
    live: true,
    exit: 3,
    says: ['fail:permanent_invalid_credentials', 'auth.json', 'line 1'],
    writes: [STATUS],
  },
  {
    name: 'refresh: codex auth.json unreadable by the agent',
    mode: 'refresh',
    args: ['--once'],
    setup: (ctx) => fs.chownSync(ctx.credentials, 1000, 1000),
    live: true,
    exit: 3,
    says: ['fail:permanent_unreadable', 'auth.json'],
    writes: [STATUS],
  },
  {
    name: 'refresh: claude config dir not writable by the agent',
    mode: 'refresh',
    args: ['--once'],
    agent: 'claude',
    setup: (ctx) => {
      fs.chownSync(ctx.slot.configDir, 0, 0);
      fs.chmodSync(ctx.slot.configDir, 0o755);
    },
    live: true,
    exit: 3,
    says: ['fail:permanent_not_writable', '.claude'],
  },
  {
    name: 'run: the token server fails the check before the child: logged, the child runs, nothing written but the status',
    mode: 'run',
    args: ['true'],
    live: true,
    fault: { kind: 'status', status: 503 },
    noPendingChange: true,
    exit: 0,
    says: ['fail:transient_http_503', 'child exited'],
    writes: [STATUS],
  },
  {
    name: 'run: a spent refresh token before the child: logged with the remedy, the child runs',
    mode: 'run',
    args: ['true'],
    agent: 'claude',
    live: true,
    fault: { kind: 'error', code: 'invalid_grant' },
    noPendingChange: true,
    exit: 0,
    says: ['fail:permanent_invalid_grant', 'auth-init'],
    writes: [STATUS],
  },
];

/** A socket file that outlives its server: Node removes the name it listened on, so a hard link keeps one. */
function makeSocket(file: string): Promise<void> {
  const listening = `${file}.listening`;
  return new Promise((resolve) => {
    const server = net.createServer().listen(listening, () => {
      fs.linkSync(listening, file);
      server.close(() => resolve());
    });
  });
}

// --- running one case ------------------------------------------------------------------------

/** The slot after one successful boot: layers applied, credentials in place, all agent-owned. */
async function bootedSlot(agent: Agent, server: TokenServer, live: boolean): Promise<Context> {
  const slot = makeSlot(agent);
  const bin = fixtureCli(agent, 'version');
  if (agent === 'codex') {
    writeTree(slot.defaults, { 'config.toml': 'sandbox_mode = "danger-full-access"\napproval_policy = "on-failure"\n', 'prompts/review.md': '# review\n' });
    writeConfigMap(slot.overlay, { 'config.toml': 'model = "gpt-5"\n' });
  } else {
    writeTree(slot.defaults, { 'settings.json': '{"permissions":{"defaultMode":"bypassPermissions"}}\n', 'prompts/review.md': '# review\n' });
    writeConfigMap(slot.overlay, { 'settings.json': '{"model":"sonnet"}\n' });
  }
  const boot = await runBundle(['true'], { env: { ...slot.env, PATH: pathWith(bin) } });
  expect(boot.exitCode, boot.stderr).toBe(0);
  const credentials = path.join(slot.configDir, CREDENTIALS[agent]);
  const now = Date.now();
  const doc = live
    ? agent === 'codex'
      ? server.issueCodex({ expiresAtMs: now + HOUR })
      : server.issueClaude({ expiresAtMs: now + HOUR / 2 })
    : agent === 'codex'
      ? codexAuth('valid')
      : claudeCredentials('valid');
  const ctx: Context = { slot, agent, server, bin, credentials };
  writeCredentials(slot, agent, doc as Record<string, unknown>);
  writeCredentials(slot, agent, '{"session":"one"}\n', { rel: 'history.jsonl', mode: 0o600 });
  writeCredentials(slot, agent, 'work in progress\n', { rel: '../workspace/notes.txt', mode: 0o644 });
  return ctx;
}

function stateOf(ctx: Context): Record<string, EntrySnapshot> {
  const home = snapshot(ctx.slot.home);
  const shared = snapshot(ctx.slot.shared);
  return { ...home, ...Object.fromEntries(Object.entries(shared).map(([key, value]) => [`(shared)/${key}`, value])) };
}

/** The snapshot without the entries a case writes on purpose. */
function without(state: Record<string, EntrySnapshot>, ctx: Context, writes: readonly string[]): Record<string, EntrySnapshot> {
  const prefix = path.relative(ctx.slot.home, ctx.slot.configDir);
  const skip = new Set(writes.map((rel) => `${prefix}/${rel}`));
  return Object.fromEntries(Object.entries(state).filter(([key]) => !skip.has(key)));
}

/** Values of the secret variables a case sets (they must never be printed). */
function secretValues(env: Record<string, string>): string[] {
  return ['CODEX_SESSION', 'OPENAI_API_KEY', 'CODEX_API_KEY', 'ANTHROPIC_API_KEY', 'CLAUDE_CODE_OAUTH_TOKEN']
    .map((name) => env[name])
    .filter((value): value is string => value !== undefined && value.length >= 8);
}

async function runCase(testCase: Case): Promise<{ result: BundleResult; ctx: Context }> {
  const agent = testCase.agent ?? 'codex';
  const server = await startTokenServer({ lifetimeMs: HOUR });
  try {
    const ctx = await bootedSlot(agent, server, testCase.live ?? false);
    if (!testCase.noPendingChange) {
      writeConfigMap(ctx.slot.overlay, pendingOverlay(agent));
      writeTree(ctx.slot.defaults, { 'prompts/new.md': '# new\n' });
    }
    await testCase.setup?.(ctx);
    if (testCase.fault) server.faults.push(testCase.fault);
    if (testCase.cli && testCase.cli !== 'version') ctx.bin = fixtureCli(agent, testCase.cli);
    const caseEnv = typeof testCase.env === 'function' ? testCase.env(ctx) : (testCase.env ?? {});
    // A seed in every codex case: another secret that must never be printed (older than the
    // file, so a successful boot keeps the file).
    const seed: Record<string, string> = agent === 'codex' ? { CODEX_SESSION: JSON.stringify(codexAuth('valid', Date.now() - 48 * HOUR)) } : {};
    const env = {
      ...ctx.slot.env,
      PATH: pathWith(ctx.bin),
      ...seed,
      ...(testCase.live ? { AGENT_REFRESH: 'on', [urlVariable(agent)]: server.url(agent) } : {}),
      ...caseEnv,
    };
    const before = stateOf(ctx);
    const given = typeof testCase.args === 'function' ? testCase.args(ctx) : testCase.args;
    const args = testCase.mode === 'run' ? (given ?? ['true']) : [testCase.mode, ...(given ?? [])];
    const result = await runBundle(args, { env });
    const printed = `stdout:\n${result.stdout}\nstderr:\n${result.stderr}`;
    expect(result.exitCode, printed).toBe(testCase.exit);
    for (const fragment of testCase.says) expect(result.stdout + result.stderr, `"${fragment}" not printed; ${printed}`).toContain(fragment);
    const after = stateOf(ctx);
    expect(without(after, ctx, testCase.writes ?? []), 'the agent state changed').toEqual(without(before, ctx, testCase.writes ?? []));
    expectNoSecrets(result, [...server.minted, ...secretValues(env)]);
    return { result, ctx };
  } finally {
    await server.close();
  }
}

describe('bad-input corpus', () => {
  it(`has at least 60 cases across every mode (${CASES.length})`, () => {
    expect(CASES.length).toBeGreaterThanOrEqual(60);
    expect(new Set(CASES.map((testCase) => testCase.mode))).toEqual(new Set(['run', 'smoke-test', 'auth-init', 'refresh', 'doctor']));
    expect(new Set(CASES.map((testCase) => testCase.name)).size).toBe(CASES.length);
  });

  for (const testCase of CASES) {
    it.concurrent(testCase.name, async () => {
      await runCase(testCase);
    });
  }
});
