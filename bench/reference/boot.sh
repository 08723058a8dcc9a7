#!/bin/bash
# Reference boot in shell, for the boot benchmark: what a classic entrypoint script does (copy both
# layers with cp -afL, chown -R the home, drop privileges with setpriv, exec the command). It does
# less than agent-entrypoint (no validation, no merge, no atomic writes, no supervision).
set -euo pipefail
config="$AGENT_HOME/.codex"
mkdir -p "$config" "$AGENT_HOME/workspace" "$AGENT_SHARED_HOME"
[ -d "$AGENT_DEFAULTS_DIR" ] && cp -afL "$AGENT_DEFAULTS_DIR/." "$config/"
[ -d "$AGENT_OVERLAY_DIR" ] && cp -afL "$AGENT_OVERLAY_DIR/." "$config/"
chown -R 10001:10001 "$AGENT_HOME" "$AGENT_SHARED_HOME"
cd "$AGENT_HOME/workspace"
exec setpriv --reuid 10001 --regid 10001 --clear-groups env HOME="$AGENT_HOME" CODEX_HOME="$config" "$@"
