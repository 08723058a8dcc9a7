# agent-entrypoint image for one agent CLI (codex or claude).
#   podman build --build-arg AGENT=codex -t agent-entrypoint-codex .
#   podman build --build-arg AGENT=claude -t agent-entrypoint-claude .
ARG BASE_IMAGE=node:24-bookworm-slim

# ---- builder: npm ci and the single-file bundle ---------------------------------------------
FROM ${BASE_IMAGE} AS build
WORKDIR /src
COPY package.json package-lock.json ./
# Install scripts are skipped: the image's own Node 24 runs the build, so the node dev
# dependency's download is not needed, and esbuild resolves its binary from its optional package.
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json ./
COPY scripts/build.mjs ./scripts/build.mjs
COPY src ./src
RUN node scripts/build.mjs

# ---- final image ------------------------------------------------------------------------------
FROM ${BASE_IMAGE}
ARG AGENT=codex
ARG CODEX_VERSION=0.169.0
ARG CLAUDE_VERSION=2.1.330

RUN apt-get update \
 && apt-get install -y --no-install-recommends tini git ca-certificates \
 && apt-get clean \
 && rm -rf /var/lib/apt/lists/* /var/cache/apt/archives/*.deb

# Only the selected CLI, at an exact version.
RUN case "$AGENT" in \
      codex)  npm install -g --no-audit --no-fund "@openai/codex@${CODEX_VERSION}" ;; \
      claude) npm install -g --no-audit --no-fund --allow-scripts=@anthropic-ai/claude-code "@anthropic-ai/claude-code@${CLAUDE_VERSION}" ;; \
      *) echo "AGENT must be codex or claude (got '$AGENT')" >&2; exit 1 ;; \
    esac \
 && npm cache clean --force

# The agent user: uid/gid 10001 is load-bearing. The home volume (credentials, sessions) is owned
# by this uid and outlives image upgrades: an image whose agent has another uid cannot read the
# credentials it wrote before, and the slot silently asks for a login on every task. 10001 also
# avoids uid 1000, the usual first host user, when a path is bind-mounted from a host. Never change
# it casually; agent-entrypoint migrates volumes written by uid 1000 once, at boot.
RUN groupadd --gid 10001 "$AGENT" \
 && useradd --uid 10001 --gid 10001 --home-dir "/home/$AGENT" --create-home --shell /bin/bash "$AGENT" \
 && install -d -m 0755 -o "$AGENT" -g "$AGENT" /agent-home

# No way back to root for the agent: no sudo, no docker group, and no setuid or setgid program
# (the base image ships su, passwd, mount and others setuid root).
RUN find / -xdev -type f -perm /6000 -exec chmod a-s {} + \
 && if [ -n "$(find / -xdev -type f -perm /6000)" ] || command -v sudo >/dev/null || getent group docker >/dev/null; then \
      echo "a privilege-escalation path is left in the image" >&2; exit 1; \
    fi

# Layer 1 of the agent's config: the image defaults for the selected agent only.
COPY defaults/ /tmp/defaults/
RUN install -d -m 0755 "/etc/$AGENT-defaults" \
 && case "$AGENT" in \
      codex)  install -m 0644 /tmp/defaults/codex-config.toml /etc/codex-defaults/config.toml ;; \
      claude) install -m 0644 /tmp/defaults/claude-settings.json /etc/claude-defaults/settings.json ;; \
    esac \
 && rm -rf /tmp/defaults

COPY --from=build /src/dist/agent-entrypoint.cjs /usr/local/bin/agent-entrypoint
ENV AGENT=${AGENT}

# Node's compile cache, warmed with a real boot (written just before the privilege drop), so each
# start skips most of the bundle's compilation. It is the first run with the cache enabled, so the
# cache holds the boot path. Node keys it by uid: a non-root pod simply does not use it.
ENV NODE_COMPILE_CACHE=/var/cache/agent-entrypoint
RUN install -d -m 0755 /var/cache/agent-entrypoint \
 && warm=$(mktemp -d) && chmod 0755 "$warm" \
 && AGENT_HOME="$warm/home" AGENT_REFRESH=off AGENT_RELOAD=off agent-entrypoint true >/dev/null 2>"$warm/log" \
 || { cat "$warm/log" >&2; exit 1; }; \
    rm -rf "$warm"; [ -n "$(ls -A /var/cache/agent-entrypoint)" ] || { echo "compile cache was not written" >&2; exit 1; }

# Self-checks: a non-zero code is captured (not left to abort under set -e) and reported. Exit 1
# also means "internal error", so refresh's skip is confirmed by its JSON line as well.
RUN set -u; fail() { echo "self-check failed: $1" >&2; exit 1; }; \
    rc=0; agent-entrypoint --version || rc=$?; [ "$rc" -eq 0 ] || fail "agent-entrypoint --version exited $rc"; \
    probe=$(mktemp -d); chmod 0755 "$probe"; \
    rc=0; out=$(AGENT_CONFIG_DIR="$probe" agent-entrypoint refresh --once) || rc=$?; \
    [ "$rc" -eq 1 ] && case "$out" in *no_auth_json*) true ;; *) false ;; esac \
      || fail "refresh --once on an empty config dir exited $rc with '$out' (expected 1, skip:no_auth_json)"; \
    rc=0; agent-entrypoint smoke-test || rc=$?; \
    [ "$rc" -eq 65 ] || fail "smoke-test without credentials exited $rc (expected 65: the CLI runs, no credentials)"; \
    rm -rf "$probe"

ENTRYPOINT ["tini", "--", "agent-entrypoint"]
