#!/usr/bin/env bash
# Run one command with a private, unlocked Secret Service: gnome-keyring on its own D-Bus session
# bus, with a random password and its files in a temporary directory removed afterwards.
#
#   scripts/keyring-session.sh .venv/bin/kiops-desktop --demo
#   scripts/keyring-session.sh .venv/bin/python -c 'import keyring; print(keyring.get_keyring())'
#
# For trying KIOPS Desktop's keyring features on a machine without a desktop session (ssh,
# containers, CI). The test suite does not need it: tests/integration/keyring starts its own
# gnome-keyring (tests/integration/keyring/secret_service.py). Secrets stored here are gone when
# the command ends. Needs dbus-run-session and gnome-keyring-daemon (scripts/ensure-system-deps.sh).
set -euo pipefail

if [ "$#" -eq 0 ]; then
    echo "usage: $0 COMMAND [ARGS...]" >&2
    exit 2
fi
for tool in dbus-run-session gnome-keyring-daemon; do
    if ! command -v "$tool" >/dev/null 2>&1; then
        echo "keyring-session: $tool is not installed; run scripts/ensure-system-deps.sh" >&2
        exit 1
    fi
done

dir="$(mktemp -d "${TMPDIR:-/tmp}/kiops-keyring.XXXXXX")"
trap 'rm -rf "$dir"' EXIT
mkdir -m 700 "$dir/data" "$dir/run"
password="$(head -c 18 /dev/urandom | base64)"

# Only the daemon sees the temporary XDG directories (its keyring files and control socket); the
# command keeps the caller's environment plus DBUS_SESSION_BUS_ADDRESS from dbus-run-session.
# shellcheck disable=SC2016 # expanded by the inner bash, on purpose
dbus-run-session -- bash -c '
    set -euo pipefail
    dir="$1" password="$2"
    shift 2
    printf "%s" "$password" |
        XDG_DATA_HOME="$dir/data" XDG_RUNTIME_DIR="$dir/run" \
            gnome-keyring-daemon --unlock --components=secrets >/dev/null
    unset password
    "$@"
' keyring-session "$dir" "$password" "$@"
