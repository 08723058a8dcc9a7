// Which command logs the agent in. Each CLI's own login, unless AGENT_LOGIN_COMMAND overrides it:
//   codex:  `codex login --device-auth` prints a verification URL and a one-time code and polls;
//           it needs no terminal, so its output in a Job's log is enough.
//   claude: `claude auth login` (Claude Code 2.1.330; `claude login` is not a command there, and
//           `claude setup-token` prints a token for CLAUDE_CODE_OAUTH_TOKEN instead of writing the
//           credentials file). It opens a browser URL and then waits for the code to be pasted:
//           a container has no browser and no localhost callback, so it needs a terminal.
import type { Settings } from '../settings/env.js';

export interface LoginCommand {
  argv: [string, ...string[]];
  /** Where it came from, for messages. */
  origin: 'default' | 'AGENT_LOGIN_COMMAND';
  /** True when the command reads the answer from a terminal (stdin must be one). */
  needsTerminal: boolean;
}

const DEFAULTS = {
  codex: { argv: ['codex', 'login', '--device-auth'], needsTerminal: false },
  claude: { argv: ['claude', 'auth', 'login'], needsTerminal: true },
} as const;

export function loginCommand(settings: Settings): LoginCommand {
  const override = settings.authInit.loginCommand;
  if (override && override.length > 0) {
    // An operator's command may or may not read a terminal; it is run as given.
    return { argv: override as [string, ...string[]], origin: 'AGENT_LOGIN_COMMAND', needsTerminal: false };
  }
  const fallback = DEFAULTS[settings.agent];
  return { argv: [...fallback.argv], origin: 'default', needsTerminal: fallback.needsTerminal };
}

/** The sentence for a login that needs a terminal when stdin is not one: how to attach one. */
export function terminalHint(settings: Settings, login: LoginCommand): string {
  const image = `<image>`;
  return (
    `${login.argv.join(' ')} needs a terminal to paste the login code into, and stdin is not one. ` +
    `With Docker: docker run -it --rm -e AGENT=${settings.agent} -v <volume>:${settings.paths.home} ${image} auth-init. ` +
    `In Kubernetes: give the Job's container stdin: true and tty: true, then kubectl attach -it <pod> ` +
    `(or kubectl run -it --rm --image=${image} <name> -- auth-init with the volume mounted). ` +
    `Or log in elsewhere with claude setup-token and set CLAUDE_CODE_OAUTH_TOKEN`
  );
}
