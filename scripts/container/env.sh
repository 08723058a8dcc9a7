# Sourced by the container scripts: podman configured for this kind of machine (runc instead of
# crun, lowered default ulimits, cgroupfs, file events, storage under a work directory of its own).
WORK_DIR="${CONTAINER_WORK_DIR:-${TMPDIR:-/tmp}/agent-entrypoint-podman}"
mkdir -p "$WORK_DIR"
export CONTAINERS_CONF="$WORK_DIR/containers.conf"
export CONTAINERS_STORAGE_CONF="$WORK_DIR/storage.conf"
cat > "$CONTAINERS_CONF" <<CONF
[containers]
default_ulimits = ["nofile=20000:20000", "nproc=32768:32768"]
[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
events_logger = "file"
CONF
cat > "$CONTAINERS_STORAGE_CONF" <<CONF
[storage]
driver = "overlay"
graphroot = "$WORK_DIR/storage"
runroot = "$WORK_DIR/run"
CONF
BASE_IMAGE="${BASE_IMAGE:-localhost/agent-entrypoint-base:bookworm-node24}"
export WORK_DIR BASE_IMAGE
