#!/usr/bin/env bash
# Private container engines for the Docker/Podman tests (and for trying the app by hand).
#
#   scripts/engines.sh start  RUN_DIR   start dockerd, Podman's API service and a registry
#   scripts/engines.sh status RUN_DIR   say what runs; exit 0 when all three answer, else 3
#   scripts/engines.sh stop   RUN_DIR   stop all three by pid, clean up mounts under RUN_DIR
#
# Everything lives under RUN_DIR: sockets, data, pid files, configs and logs (RUN_DIR/*.log).
# Nothing listens on anything but unix sockets in RUN_DIR and 127.0.0.1:KIOPS_REGISTRY_PORT
# (default 5000). dockerd runs without a bridge and without iptables/forwarding/masquerading:
# containers must use host networking and listen on 127.0.0.1 (see shared ENVIRONMENT.md).
#
# `start` and `status` print, on stdout and nothing else, what a client needs:
#   export DOCKER_HOST=unix://RUN_DIR/docker.sock
#   export CONTAINER_HOST=unix://RUN_DIR/podman.sock
#   export KIOPS_TEST_REGISTRY=127.0.0.1:PORT
# so `eval "$(scripts/engines.sh start /tmp/kiops-engines)"` sets up a shell.
# Both commands are idempotent: what already runs is left alone, what is down is (re)started.
#
# Environment: KIOPS_REGISTRY_PORT (default 5000, remembered in RUN_DIR/registry.port),
# KIOPS_ENGINES_WAIT (seconds to wait for each service to answer, default 60),
# KIOPS_ENGINES_OWNER_PID (a watchdog runs `stop` once that process has gone).
# Needs root (as CI is) and the packages from scripts/ensure-system-deps.sh.
set -euo pipefail

usage() {
    echo "usage: $0 start|stop|status RUN_DIR" >&2
    exit 2
}

[ "$#" -eq 2 ] || usage
cmd="$1"
case "${cmd}" in start | stop | status) ;; *) usage ;; esac

if [ "$(id -u)" -ne 0 ]; then
    echo "engines.sh: must run as root (dockerd and rootful podman need it)" >&2
    exit 1
fi

SELF="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)/$(basename "${BASH_SOURCE[0]}")"
mkdir -p "$2"
RUN="$(cd "$2" && pwd -P)"
WAIT="${KIOPS_ENGINES_WAIT:-60}"
# Unix socket paths are limited to 107 bytes; containerd's lives 40 below RUN_DIR.
if [ "${#RUN}" -gt 60 ]; then
    echo "engines.sh: RUN_DIR ${RUN} is too long for unix sockets; use a short one (/tmp/...)" >&2
    exit 1
fi

DOCKER_SOCK="${RUN}/docker.sock"
PODMAN_SOCK="${RUN}/podman.sock"
DOCKER_PID="${RUN}/dockerd.pid"
PODMAN_PID="${RUN}/podman.pid"
REGISTRY_PID="${RUN}/registry.pid"
CONTAINERS_CONF_FILE="${RUN}/containers.conf"
REGISTRIES_CONF_FILE="${RUN}/registries.conf"
STORAGE_CONF_FILE="${RUN}/storage.conf"
PODMAN_FLAGS=(
    --root "${RUN}/podman/root"
    --runroot "${RUN}/podman/runroot"
    --tmpdir "${RUN}/podman/tmp"
    --cgroup-manager cgroupfs
    --events-backend file
)

if [ -f "${RUN}/registry.port" ]; then
    REGISTRY_PORT="$(cat "${RUN}/registry.port")"
else
    REGISTRY_PORT="${KIOPS_REGISTRY_PORT:-5000}"
fi
REGISTRY_ADDR="127.0.0.1:${REGISTRY_PORT}"
# dockerd starts its own containerd under --exec-root, but uses the system one if that runs:
# a namespace of our own then keeps our containers apart from the system's (and other runs').
# (containerd allows only [A-Za-z0-9]+ joined by single [._-]: a hash of RUN_DIR fits.)
CONTAINERD_NS="kiops-$(printf '%s' "${RUN}" | md5sum | cut -c1-16)"

log() { echo "engines.sh: $*" >&2; }

# The engines talk to nothing but 127.0.0.1: a proxy from the caller's environment must not
# carry a push or pull to the loopback registry off this machine.
unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY all_proxy ALL_PROXY
export NO_PROXY="127.0.0.0/8,localhost,::1" no_proxy="127.0.0.0/8,localhost,::1"

# --------------------------------------------------------------------------- helpers

# The pid recorded in FILE if that process is alive, else nothing.
live_pid() {
    local file="$1" pid
    [ -s "${file}" ] || return 1
    pid="$(tr -dc '0-9' <"${file}")"
    [ -n "${pid}" ] && kill -0 "${pid}" 2>/dev/null || return 1
    echo "${pid}"
}

# Does the HTTP service answer with 2xx on PATH? TARGET is a unix socket path or host:port.
answers() {
    local target="$1" path="$2"
    if [[ "${target}" == /* ]]; then
        [ -S "${target}" ] || return 1
        curl -fsS --max-time 3 --noproxy '*' --unix-socket "${target}" -o /dev/null "http://d${path}" 2>/dev/null
    else
        curl -fsS --max-time 3 --noproxy '*' -o /dev/null "http://${target}${path}" 2>/dev/null
    fi
}

tail_log() {
    local file="$1"
    echo "---- last lines of ${file} ----" >&2
    tail -n 40 "${file}" >&2 2>/dev/null || echo "(no log)" >&2
    echo "----" >&2
}

# wait_for NAME PID TARGET PATH LOG: bounded wait until it answers; fail with the log tail.
wait_for() {
    local name="$1" pid="$2" target="$3" path="$4" logfile="$5" deadline
    deadline=$((SECONDS + WAIT))
    while ((SECONDS < deadline)); do
        if answers "${target}" "${path}"; then
            return 0
        fi
        if ! kill -0 "${pid}" 2>/dev/null; then
            log "${name} exited while starting (log: ${logfile})"
            tail_log "${logfile}"
            return 1
        fi
        sleep 0.2
    done
    log "${name} did not answer on ${target} within ${WAIT}s (log: ${logfile})"
    tail_log "${logfile}"
    return 1
}

# stop_pid NAME PIDFILE GRACE: SIGTERM, wait up to GRACE seconds, then SIGKILL.
stop_pid() {
    local name="$1" pidfile="$2" grace="$3" pid i
    if pid="$(live_pid "${pidfile}")"; then
        kill -TERM "${pid}" 2>/dev/null || true
        for ((i = 0; i < grace * 10; i++)); do
            kill -0 "${pid}" 2>/dev/null || break
            sleep 0.1
        done
        if kill -0 "${pid}" 2>/dev/null; then
            log "${name} (pid ${pid}) ignored SIGTERM for ${grace}s; killing it"
            kill -KILL "${pid}" 2>/dev/null || true
            sleep 0.2
        fi
    fi
    rm -f "${pidfile}"
}

# Processes whose command line names RUN (conmon, shims, a managed containerd left behind).
pids_using_run() {
    local f pid
    { grep -lsaF "${RUN}/" /proc/[0-9]*/cmdline || true; } | while IFS= read -r f; do
        pid="${f#/proc/}"
        pid="${pid%/cmdline}"
        [ "${pid}" = "$$" ] || [ "${pid}" = "${BASHPID}" ] || echo "${pid}"
    done
}

# Mount points under RUN, deepest first (mountinfo field 5; octal escapes such as \040 decoded).
mounts_under_run() {
    awk -v run="${RUN}/" 'index($5, run) == 1 { print $5 }' /proc/self/mountinfo |
        while IFS= read -r m; do printf '%b\n' "${m}"; done | sort -r
}

# --------------------------------------------------------------------------- docker

start_docker() {
    if live_pid "${DOCKER_PID}" >/dev/null && answers "${DOCKER_SOCK}" /_ping; then
        return 0
    fi
    stop_pid dockerd "${DOCKER_PID}" 10
    mkdir -p "${RUN}/docker" "${RUN}/docker-exec"
    # An empty config file, so nothing in /etc/docker/daemon.json changes the private daemon.
    echo '{}' >"${RUN}/daemon.json"
    rm -f "${DOCKER_SOCK}"
    log "starting dockerd (log: ${RUN}/dockerd.log)"
    setsid dockerd \
        --host "unix://${DOCKER_SOCK}" \
        --config-file "${RUN}/daemon.json" \
        --data-root "${RUN}/docker" \
        --exec-root "${RUN}/docker-exec" \
        --pidfile "${DOCKER_PID}" \
        --bridge=none --iptables=false --ip6tables=false --ip-forward=false --ip-masq=false \
        --userland-proxy=false \
        --shutdown-timeout 5 \
        --containerd-namespace "${CONTAINERD_NS}" \
        --containerd-plugins-namespace "${CONTAINERD_NS}-plugins" \
        </dev/null >>"${RUN}/dockerd.log" 2>&1 &
    # dockerd writes its pid file itself (and refuses to start if one names a live process).
    wait_for dockerd "$!" "${DOCKER_SOCK}" /_ping "${RUN}/dockerd.log"
}

# --------------------------------------------------------------------------- podman

write_podman_config() {
    mkdir -p "${RUN}/podman/root" "${RUN}/podman/runroot" "${RUN}/podman/tmp" "${RUN}/podman/networks"
    # Pinned ulimits avoid "error setting rlimit type 7"; host netns: no CNI/netavark network.
    cat >"${CONTAINERS_CONF_FILE}" <<EOF
[containers]
default_ulimits = ["nofile=1024:1024", "nproc=1024:1024"]
netns = "host"
log_driver = "k8s-file"

[network]
network_config_dir = "${RUN}/podman/networks"

[engine]
# File locks under tmp_dir instead of the machine-wide /dev/shm/libpod_lock segment.
lock_type = "file"
cgroup_manager = "cgroupfs"
events_logger = "file"
events_logfile_path = "${RUN}/podman/events.log"
tmp_dir = "${RUN}/podman/tmp"
volume_path = "${RUN}/podman/root/volumes"
EOF
    # Short names never go to a public registry; the loopback test registry is plain HTTP.
    cat >"${REGISTRIES_CONF_FILE}" <<EOF
unqualified-search-registries = []

[[registry]]
location = "${REGISTRY_ADDR}"
insecure = true
EOF
    cat >"${STORAGE_CONF_FILE}" <<EOF
[storage]
driver = "overlay"
graphroot = "${RUN}/podman/root"
runroot = "${RUN}/podman/runroot"
EOF
}

podman_env() {
    env CONTAINERS_CONF="${CONTAINERS_CONF_FILE}" \
        CONTAINERS_REGISTRIES_CONF="${REGISTRIES_CONF_FILE}" \
        CONTAINERS_STORAGE_CONF="${STORAGE_CONF_FILE}" \
        "$@"
}

start_podman() {
    if live_pid "${PODMAN_PID}" >/dev/null && answers "${PODMAN_SOCK}" /_ping; then
        return 0
    fi
    stop_pid "podman service" "${PODMAN_PID}" 10
    write_podman_config
    rm -f "${PODMAN_SOCK}"
    log "starting podman system service (log: ${RUN}/podman.log)"
    # exec in a subshell: $! is then podman's own pid (a function would leave a bash in between).
    (
        export CONTAINERS_CONF="${CONTAINERS_CONF_FILE}"
        export CONTAINERS_REGISTRIES_CONF="${REGISTRIES_CONF_FILE}"
        export CONTAINERS_STORAGE_CONF="${STORAGE_CONF_FILE}"
        exec setsid podman "${PODMAN_FLAGS[@]}" system service --time=0 "unix://${PODMAN_SOCK}" \
            </dev/null >>"${RUN}/podman.log" 2>&1
    ) &
    echo "$!" >"${PODMAN_PID}"
    wait_for "podman service" "$!" "${PODMAN_SOCK}" /_ping "${RUN}/podman.log"
}

# --------------------------------------------------------------------------- registry

start_registry() {
    if live_pid "${REGISTRY_PID}" >/dev/null && answers "${REGISTRY_ADDR}" /v2/; then
        return 0
    fi
    stop_pid registry "${REGISTRY_PID}" 5
    if answers "${REGISTRY_ADDR}" /v2/ || answers "${REGISTRY_ADDR}" /; then
        log "something else already listens on ${REGISTRY_ADDR}; set KIOPS_REGISTRY_PORT"
        return 1
    fi
    mkdir -p "${RUN}/registry"
    echo "${REGISTRY_PORT}" >"${RUN}/registry.port"
    cat >"${RUN}/registry.yml" <<EOF
version: 0.1
log:
  level: info
  fields:
    service: registry
storage:
  filesystem:
    rootdirectory: ${RUN}/registry
  delete:
    enabled: true
  cache:
    blobdescriptor: inmemory
http:
  addr: ${REGISTRY_ADDR}
  secret: kiops-test-registry-not-secret
  headers:
    X-Content-Type-Options: [nosniff]
EOF
    log "starting docker-registry on ${REGISTRY_ADDR} (log: ${RUN}/registry.log)"
    setsid docker-registry serve "${RUN}/registry.yml" \
        </dev/null >>"${RUN}/registry.log" 2>&1 &
    echo "$!" >"${REGISTRY_PID}"
    wait_for registry "$!" "${REGISTRY_ADDR}" /v2/ "${RUN}/registry.log"
}

# --------------------------------------------------------------------------- commands

print_env() {
    echo "export DOCKER_HOST=unix://${DOCKER_SOCK}"
    echo "export CONTAINER_HOST=unix://${PODMAN_SOCK}"
    echo "export KIOPS_TEST_REGISTRY=${REGISTRY_ADDR}"
}

# With KIOPS_ENGINES_OWNER_PID set, a watchdog stops everything once that process is gone (a
# test session killed without its teardown must not leave daemons behind).
start_watchdog() {
    local owner="${KIOPS_ENGINES_OWNER_PID:-}"
    [ -n "${owner}" ] || return 0
    if live_pid "${RUN}/watchdog.pid" >/dev/null; then
        return 0
    fi
    setsid bash -c 'while kill -0 "$1" 2>/dev/null; do sleep 2; done; exec bash "$2" stop "$3"' \
        kiops-engines-watchdog "${owner}" "${SELF}" "${RUN}" \
        </dev/null >>"${RUN}/watchdog.log" 2>&1 &
    echo "$!" >"${RUN}/watchdog.pid"
}

do_start() {
    local tool
    for tool in dockerd podman docker-registry curl setsid; do
        if ! command -v "${tool}" >/dev/null 2>&1; then
            log "${tool} is not installed: run scripts/ensure-system-deps.sh as root"
            exit 1
        fi
    done
    start_docker
    start_podman
    start_registry
    start_watchdog
    print_env
}

do_status() {
    local ok=0 name pidfile target path pid
    while read -r name pidfile target path; do
        if pid="$(live_pid "${pidfile}")" && answers "${target}" "${path}"; then
            log "${name}: running (pid ${pid}) on ${target}"
        elif pid="$(live_pid "${pidfile}")"; then
            log "${name}: pid ${pid} alive but not answering on ${target}"
            ok=3
        else
            log "${name}: down"
            ok=3
        fi
    done <<EOF
dockerd ${DOCKER_PID} ${DOCKER_SOCK} /_ping
podman ${PODMAN_PID} ${PODMAN_SOCK} /_ping
registry ${REGISTRY_PID} ${REGISTRY_ADDR} /v2/
EOF
    [ "${ok}" -eq 0 ] && print_env
    return "${ok}"
}

do_stop() {
    local pid m leftovers
    # The watchdog (unless it is the one stopping us: it execs this script, so it is $$).
    if pid="$(live_pid "${RUN}/watchdog.pid")" && [ "${pid}" != "$$" ]; then
        kill -TERM "${pid}" 2>/dev/null || true
    fi
    rm -f "${RUN}/watchdog.pid"
    # Podman containers outlive the API service (each runs under its own conmon): stop them first.
    if [ -f "${CONTAINERS_CONF_FILE}" ] && command -v podman >/dev/null 2>&1; then
        podman_env timeout 30 podman "${PODMAN_FLAGS[@]}" rm --all --force --time 2 \
            >>"${RUN}/podman.log" 2>&1 || log "podman rm --all failed (see ${RUN}/podman.log)"
    fi
    # SIGTERM to all three at once (each takes 1-3 s to shut down), then wait for each.
    for pid in "${PODMAN_PID}" "${REGISTRY_PID}" "${DOCKER_PID}"; do
        if pid="$(live_pid "${pid}")"; then kill -TERM "${pid}" 2>/dev/null || true; fi
    done
    stop_pid "podman service" "${PODMAN_PID}" 10
    stop_pid registry "${REGISTRY_PID}" 10
    stop_pid dockerd "${DOCKER_PID}" 20
    # Anything still running from RUN (a managed containerd, shims, conmon): by pid, TERM then KILL.
    leftovers="$(pids_using_run)"
    if [ -n "${leftovers}" ]; then
        log "terminating leftover processes: $(tr '\n' ' ' <<<"${leftovers}")"
        for pid in ${leftovers}; do kill -TERM "${pid}" 2>/dev/null || true; done
        sleep 1
        for pid in $(pids_using_run); do kill -KILL "${pid}" 2>/dev/null || true; done
    fi
    # Podman leaves a bind mount on its overlay directory (and dockerd may leave netns/overlays).
    mounts_under_run | while IFS= read -r m; do
        umount "${m}" 2>/dev/null || umount -l "${m}" 2>/dev/null || log "could not unmount ${m}"
    done
    rm -f "${DOCKER_SOCK}" "${PODMAN_SOCK}"
    if [ -n "$(mounts_under_run)" ]; then
        log "mounts remain under ${RUN}:"
        mounts_under_run >&2
        return 1
    fi
    log "stopped"
}

case "${cmd}" in
start) do_start ;;
status) do_status ;;
stop) do_stop ;;
esac
