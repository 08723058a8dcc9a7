// cli_accepts_config: does the CLI itself load the config the layers produced? Layering checks TOML
// and JSON syntax; only the CLI knows its schema (codex refuses `sandbox_mode = 5` with "Error
// loading configuration"). `--version` does not read the config, so a command that does is run.
import type { Settings } from '../settings/env.js';
import { agentCli } from './as-agent.js';
import { locate, runCli, tail } from './cli.js';
import { fail, pass, skip, type ProbeVerdict } from './types.js';

/** What codex prints when its config.toml does not fit its schema. */
const CODEX_CONFIG_ERROR = 'Error loading configuration';

/** Runs `codex login status` (it loads config.toml, checks auth presence, makes no network call for file credentials). */
export async function probeCliConfig(settings: Settings): Promise<ProbeVerdict> {
  if (settings.agent !== 'codex') {
    return skip('claude has no command that loads its settings without starting a session; layers_valid checks settings.json parses');
  }
  const cli = agentCli(settings);
  const located = locate(cli);
  if (typeof located !== 'string') return skip(`codex is not runnable (see cli_runs): ${located.message}`);
  const operation = `${located} login status`;
  const run = await runCli(located, ['login', 'status'], cli);
  const stderrTail = tail(run.stderr);
  if (run.error) return fail(`${operation} could not be started: ${run.error.message}`, { operation });
  if (run.timedOut) return fail(`${operation} did not finish within AGENT_SMOKE_TIMEOUT`, { operation, signal: 'SIGKILL', stderr_tail: stderrTail });
  const errorLine = run.stderr.split('\n').find((line) => line.includes(CODEX_CONFIG_ERROR));
  if (errorLine !== undefined) {
    return fail(
      `codex cannot load its configuration in ${settings.paths.configDir}: ${errorLine.trim()}; fix the key in the ConfigMap (AGENT_OVERLAY_DIR) or the image defaults`,
      { operation, exit_code: run.code ?? undefined, stderr_tail: stderrTail, path: `${settings.paths.configDir}/config.toml` },
    );
  }
  if (run.signal) {
    return fail(`${operation} was killed by ${run.signal}, so whether codex accepts its configuration is unknown; run it by hand as the agent to see why`, {
      operation,
      signal: run.signal,
      stderr_tail: stderrTail,
    });
  }
  // Exit 0 (logged in) and exit 1 ("Not logged in") both mean the configuration loaded; any other
  // code is a failure we cannot read as a verdict on the config.
  if (run.code !== 0 && run.code !== 1) {
    return fail(`${operation} exited with ${run.code} (expected 0 or 1), so whether codex accepts its configuration is unknown; run it by hand as the agent to see why`, {
      operation,
      exit_code: run.code ?? undefined,
      stderr_tail: stderrTail,
    });
  }
  return pass(`codex loaded its configuration from ${settings.paths.configDir} (login status exited ${run.code})`);
}
