// The environment every agent CLI process gets (the supervised command, the probes' `--version`,
// auth-init's login): the container's, minus what only this program consumes, plus who it is and
// where its config lives, so each of them sees the same CLI configuration.
import type { Settings } from '../settings/env.js';

export function childEnvironment(settings: Settings, user: string): Record<string, string> {
  const configVariable = settings.agent === 'codex' ? 'CODEX_HOME' : 'CLAUDE_CONFIG_DIR';
  return {
    ...settings.childEnv,
    PATH: settings.searchPath,
    HOME: settings.paths.home,
    USER: user,
    LOGNAME: user,
    [configVariable]: settings.paths.configDir,
  };
}
