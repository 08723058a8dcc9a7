import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/errors.js';
import { loadSettings } from '../../src/settings/env.js';
import { formatDuration, parseDuration } from '../../src/settings/duration.js';

describe('durations', () => {
  it.each([
    ['500ms', 500],
    ['10s', 10_000],
    ['5m', 300_000],
    ['6h', 21_600_000],
    ['7d', 604_800_000],
    ['1.5s', 1_500],
    ['0', 0],
  ])('%s is %d ms', (text, ms) => expect(parseDuration(text)).toBe(ms));

  it.each(['', '10', '-1s', '10 s', 'ten seconds', '1w', 's'])('%j is rejected', (text) => expect(parseDuration(text)).toBeUndefined());

  it('formats back to the largest whole unit', () => {
    expect(formatDuration(21_600_000)).toBe('6h');
    expect(formatDuration(1_500)).toBe('1500ms');
  });
});

describe('settings', () => {
  it('derives every path from AGENT and AGENT_HOME', () => {
    const settings = loadSettings({ AGENT: 'codex', AGENT_HOME: '/data/home' });
    expect(settings.paths).toEqual({
      home: '/data/home',
      configDir: '/data/home/.codex',
      workspace: '/data/home/workspace',
      sharedHome: '/agent-home',
      defaultsDir: '/etc/codex-defaults',
      overlayDir: '/etc/codex-config',
      handover: [],
    });
    expect([settings.uid, settings.gid, settings.mode, settings.stopGraceMs]).toEqual([10001, 10001, 'run', 10_000]);
  });

  it('uses CODEX_HOME / CLAUDE_CONFIG_DIR for the config dir unless AGENT_CONFIG_DIR is set', () => {
    expect(loadSettings({ AGENT: 'codex', CODEX_HOME: '/c' }).paths.configDir).toBe('/c');
    expect(loadSettings({ AGENT: 'claude', CLAUDE_CONFIG_DIR: '/k' }).paths.configDir).toBe('/k');
    expect(loadSettings({ AGENT: 'claude' }).paths.configDir).toBe('/home/claude/.claude');
    expect(loadSettings({ AGENT: 'codex', CODEX_HOME: '/c', AGENT_CONFIG_DIR: '/x' }).paths.configDir).toBe('/x');
  });

  it('treats empty variables as unset', () => {
    expect(loadSettings({ AGENT: 'codex', AGENT_UID: '', LOG_LEVEL: ' ' }).uid).toBe(10001);
  });

  it('removes CODEX_SESSION and NODE_COMPILE_CACHE from the child environment and keeps the rest', () => {
    const settings = loadSettings({ AGENT: 'codex', CODEX_SESSION: '{}', NODE_COMPILE_CACHE: '/var/cache/x', OPENAI_API_KEY: 'sk-x-123456789', FOO: 'bar' });
    expect(settings.childEnv).toEqual({ AGENT: 'codex', OPENAI_API_KEY: 'sk-x-123456789', FOO: 'bar' });
    expect(settings.credentialEnv.openaiApiKey).toBe(true);
  });

  it('uses agent-specific refresh margins', () => {
    expect(loadSettings({ AGENT: 'codex' }).refresh.marginMs).toBe(4 * 3_600_000);
    expect(loadSettings({ AGENT: 'claude' }).refresh.marginMs).toBe(3_600_000);
    expect(loadSettings({ AGENT: 'claude', AGENT_REFRESH_MARGIN: '2h' }).refresh.marginMs).toBe(7_200_000);
  });

  it('parses AGENT_ON_CONFIG_CHANGE as a signal name', () => {
    expect(loadSettings({ AGENT: 'codex', AGENT_ON_CONFIG_CHANGE: 'hup' }).reload.onChangeSignal).toBe('SIGHUP');
    expect(loadSettings({ AGENT: 'codex', AGENT_ON_CONFIG_CHANGE: 'none' }).reload.onChangeSignal).toBeUndefined();
    expect(() => loadSettings({ AGENT: 'codex', AGENT_ON_CONFIG_CHANGE: 'SIGKILL' })).toThrow(/AGENT_ON_CONFIG_CHANGE/);
  });

  it('reports every bad variable, naming the first in full', () => {
    try {
      loadSettings({ AGENT: 'codex', AGENT_UID: 'x', AGENT_STOP_GRACE: 'y' });
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as ConfigError).exitCode).toBe(78);
      expect((error as Error).message).toMatch(/^AGENT_UID is not a numeric id \(got "x"\).*\(and AGENT_STOP_GRACE\)$/);
    }
  });
});
