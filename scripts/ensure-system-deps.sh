#!/usr/bin/env bash
# Install the Debian packages that KIOPS Desktop and its test suite need - only those missing.
#
#   nothing missing         -> silent, exit 0 (fast: one dpkg-query call)
#   missing and root        -> apt-get update (once) + apt-get install, exit 0
#   missing and not root    -> prints the one `sudo apt-get install ...` line to run, exit 1
#   not a Debian system     -> says so, lists the packages to find equivalents for, exit 0
set -euo pipefail

# The Debian 12 (bookworm) packages the suite needs; see shared ENVIRONMENT.md.
# Later issues extend this list (docker.io, podman, docker-registry, busybox-static, xvfb,
# gnome-keyring, dbus-daemon, ...) - keep it the one place where system packages are named.
PACKAGES=(
    # venv for `python3 -m venv` with Debian's own python3
    python3-venv
    # Qt (PySide6 wheels) runtime libraries, enough for the offscreen platform used in tests
    libegl1
    libgl1
    libfontconfig1
    fonts-dejavu-core
    libxkbcommon0
    libxkbcommon-x11-0
    libdbus-1-3
    # Docker/Podman integration tests (scripts/engines.sh): a private dockerd (docker.io brings
    # containerd, runc, iptables), Podman's API service, Debian's registry (distribution 2.8) on
    # 127.0.0.1, and the static busybox the test images are built from. podman's Recommends are
    # not installed (--no-install-recommends): catatonit is its --init helper; rootful podman with
    # host networking needs neither slirp4netns, uidmap nor fuse-overlayfs.
    docker.io
    podman
    docker-registry
    busybox-static
    catatonit
    # podman's network stack: containers-common needs one; netavark (what podman 4.3 prefers,
    # normally a Recommends) so every machine picks the same, even with host networking
    netavark
    # scripts/engines.sh asks the engines' unix sockets and the registry whether they answer
    curl
    # htpasswd -B: bcrypt password files for the registry basic-auth tests
    apache2-utils
    # keyring tests (tests/integration/keyring): a real Secret Service - gnome-keyring in a
    # private D-Bus session; secret-tool (libsecret-tools) to look at it by hand
    gnome-keyring
    dbus-daemon
    libsecret-tools
    # installers (make package, packaging/linux/smoke-test.sh): the frozen app is also started
    # on a real X display (Xvfb); actionlint checks the workflow's scripts with shellcheck, and
    # the .desktop file is validated
    xvfb
    xauth
    libxcb-cursor0
    libxcb-icccm4
    libxcb-keysyms1
    libxcb-image0
    libxcb-randr0
    libxcb-render-util0
    libxcb-shape0
    libxcb-xkb1
    shellcheck
    desktop-file-utils
)

if ! command -v dpkg-query >/dev/null 2>&1 || ! command -v apt-get >/dev/null 2>&1; then
    echo "ensure-system-deps: this is not a Debian-based system (no dpkg-query/apt-get);" \
        "install the equivalents of these packages yourself: ${PACKAGES[*]}" >&2
    exit 0
fi

# dpkg-query prints one status line per known package; unknown packages go to stderr.
installed="$(dpkg-query -W -f='${Package} ${db:Status-Status}\n' "${PACKAGES[@]}" 2>/dev/null || true)"
missing=()
for pkg in "${PACKAGES[@]}"; do
    if ! grep -qx "${pkg} installed" <<<"${installed}"; then
        missing+=("${pkg}")
    fi
done

if [ "${#missing[@]}" -eq 0 ]; then
    exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
    echo "ensure-system-deps: missing Debian packages; run:" >&2
    echo "sudo apt-get update && sudo apt-get install -y --no-install-recommends ${missing[*]}" >&2
    exit 1
fi

echo "ensure-system-deps: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}"
