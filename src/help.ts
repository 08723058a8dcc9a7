export const HELP = `Usage: agent-entrypoint [MODE] [ARGS...]

Container entrypoint for AI coding agent CLIs (Codex CLI, Claude Code).

Modes (the first argument, else AGENT_MODE, else run):
  run           boot the slot (directories, ownership, config layers, credentials), drop to the
                agent user, then run and supervise the agent CLI. ARGS: none runs the CLI; a first
                argument starting with "-" is passed to the CLI; anything else is run as given.
  smoke-test    startup probe: 0 ready, 64 CLI broken, 65 credentials missing,
                66 credentials invalid, 78 configuration error. One JSON line on stdout.
  auth-init     one-shot login job that proves credentials were written.
  refresh       refresh OAuth tokens when due. --once: one check, one JSON line, exit 0
                refreshed, 1 skipped, 2 transient failure, 3 permanent failure, 78
                configuration error. Without --once: check forever (a sidecar).
  doctor        capability probes that explain each failure (--json for machines).

Options (every mode): --help, --version

Required: AGENT=codex|claude. Every other variable has a default; see README.md.
`;
