#!/usr/bin/env bash
# Prepares a machine to build and run the images for real: installs podman (with runc) and
# debootstrap when missing, then builds a local stand-in for node:24-bookworm-slim (no registry is
# reachable here): Debian bookworm minbase from the machine's apt mirror, plus the Node 24 binary
# from the project's own node dev dependency, plus npm. Fails loudly at the first problem.
set -euo pipefail
cd "$(dirname "$0")/../.."
source scripts/container/env.sh

need=()
for tool in podman runc debootstrap; do command -v "$tool" >/dev/null || need+=("$tool"); done
if [ "${#need[@]}" -gt 0 ]; then
  echo "installing podman, buildah, runc, debootstrap"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq podman buildah runc debootstrap >/dev/null
fi
podman info >/dev/null || { echo "FATAL: podman cannot run on this machine (podman info failed)" >&2; exit 1; }

if podman image exists "$BASE_IMAGE"; then
  echo "base image $BASE_IMAGE exists"
  exit 0
fi

node_bin=$(node -e 'console.log(require("fs").realpathSync(process.execPath))')
case "$(node --version)" in v24.*) ;; *) echo "FATAL: Node 24 expected on PATH (run through npm), got $(node --version)" >&2; exit 1;; esac
mirror=$(grep -h '^URIs:' /etc/apt/sources.list.d/*.sources 2>/dev/null | head -1 | awk '{print $2}')
mirror=${mirror:-http://deb.debian.org/debian}

rootfs="$WORK_DIR/rootfs"
rm -rf "$rootfs"
echo "debootstrap bookworm from $mirror"
debootstrap --variant=minbase bookworm "$rootfs" "$mirror" >"$WORK_DIR/debootstrap.log" 2>&1 || { tail -20 "$WORK_DIR/debootstrap.log" >&2; echo "FATAL: debootstrap failed" >&2; exit 1; }
# The official image keeps apt lists out; so do we (images run apt-get update themselves).
rm -rf "$rootfs"/var/lib/apt/lists/* "$rootfs"/usr/share/doc/* "$rootfs"/usr/share/locale/* "$rootfs"/usr/share/man/* "$rootfs"/var/cache/apt/*.bin
install -m 0755 "$node_bin" "$rootfs/usr/local/bin/node"
# This machine's TLS trust goes into the stand-in, as a platform's real base image carries its
# own: the host's CA bundle (which may include an egress proxy's CA), the local CAs so that
# update-ca-certificates in a later layer keeps them, and npm pointed at the bundle.
install -d "$rootfs/etc/ssl/certs" "$rootfs/usr/local/share/ca-certificates" "$rootfs/usr/local/etc"
cp /etc/ssl/certs/ca-certificates.crt "$rootfs/etc/ssl/certs/ca-certificates.crt"
cp /usr/local/share/ca-certificates/*.crt "$rootfs/usr/local/share/ca-certificates/" 2>/dev/null || true
printf "cafile=/etc/ssl/certs/ca-certificates.crt\nupdate-notifier=false\n" > "$rootfs/usr/local/etc/npmrc"
npm_tgz=$(cd "$WORK_DIR" && npm pack --silent npm@11 2>/dev/null | tail -1)
mkdir -p "$rootfs/usr/local/lib/node_modules/npm"
tar -xzf "$WORK_DIR/$npm_tgz" -C "$rootfs/usr/local/lib/node_modules/npm" --strip-components=1
ln -sf ../lib/node_modules/npm/bin/npm-cli.js "$rootfs/usr/local/bin/npm"
ln -sf ../lib/node_modules/npm/bin/npx-cli.js "$rootfs/usr/local/bin/npx"
tar -C "$rootfs" -c . | podman import --quiet - "$BASE_IMAGE" >/dev/null
rm -rf "$rootfs"
podman run --rm "$BASE_IMAGE" sh -c 'node --version && npm --version' | tr '\n' ' '
echo "-> base image $BASE_IMAGE ready"
