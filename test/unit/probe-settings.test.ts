// The variables of smoke-test, auth-init and doctor, as loadSettings parses them.
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/errors.js';
import { loadSettings } from '../../src/settings/env.js';

describe('probe and login settings', () => {
  it('has the documented defaults', () => {
    const settings = loadSettings({ AGENT: 'codex' });
    expect(settings.smoke).toEqual({ timeoutMs: 10_000 });
    expect(settings.authInit).toEqual({ force: false, timeoutMs: 30 * 60_000, loginCommand: undefined });
    expect(settings.dockerHost).toBeUndefined();
  });

  it('splits AGENT_LOGIN_COMMAND into words, quotes honoured', () => {
    const settings = loadSettings({ AGENT: 'claude', AGENT_LOGIN_COMMAND: `sh -c 'printenv KEY | codex login --with-api-key'` });
    expect(settings.authInit.loginCommand).toEqual(['sh', '-c', 'printenv KEY | codex login --with-api-key']);
  });

  it('records which credential variables are set, never their values', () => {
    const settings = loadSettings({ AGENT: 'codex', OPENAI_API_KEY: 'sk-secret-value-123456', ANTHROPIC_API_KEY: '' });
    expect(settings.credentialEnv).toEqual({ openaiApiKey: true, codexApiKey: false, anthropicApiKey: false, claudeOauthToken: false });
    expect(JSON.stringify({ ...settings, childEnv: undefined })).not.toContain('sk-secret-value-123456');
  });

  it.each([
    ['AGENT_LOGIN_COMMAND', `codex 'login`, 'has an unterminated single quote'],
    ['AGENT_LOGIN_COMMAND', `''`, 'names no command'],
    ['AGENT_SMOKE_TIMEOUT', 'ten', 'is not a duration'],
    ['AGENT_AUTH_INIT_TIMEOUT', '30 minutes', 'is not a duration'],
    ['AGENT_AUTH_INIT_FORCE', 'please', 'is not a boolean'],
  ])('%s=%j is a configuration error naming the variable', (name, value, problem) => {
    expect(() => loadSettings({ AGENT: 'codex', [name]: value })).toThrow(ConfigError);
    expect(() => loadSettings({ AGENT: 'codex', [name]: value })).toThrow(new RegExp(`^${name} ${problem}`));
  });
});
