#!/usr/bin/env bash
# npm run test:container: builds both agents' images with podman from a local base image, reports
# their sizes, then runs the real-container suite (test/container). Fails loudly when podman
# cannot run here; it never passes without having run the containers.
set -euo pipefail
cd "$(dirname "$0")/../.."
bash scripts/container/setup.sh
source scripts/container/env.sh
npm run build --silent
for agent in codex claude; do
  image="localhost/agent-entrypoint-$agent:test"
  echo "== building $image"
  podman build --quiet --build-arg BASE_IMAGE="$BASE_IMAGE" --build-arg AGENT="$agent" -t "$image" . >/dev/null
  echo "   size: $(podman image inspect "$image" --format '{{.Size}}' | awk '{printf "%.0f MB", $1/1000/1000}')"
done
export TEST_IMAGE_CODEX=localhost/agent-entrypoint-codex:test
export TEST_IMAGE_CLAUDE=localhost/agent-entrypoint-claude:test
exec vitest run --config vitest.container.config.ts
