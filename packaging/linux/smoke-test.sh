#!/usr/bin/env bash
# Smoke test of the Linux package: install it, run the installed app's --self-test, remove it.
#
#   packaging/linux/smoke-test.sh [PATH.deb]      (default: the newest dist/kiops-desktop_*.deb)
#
# As root (CI, our machines) the .deb is installed for real with apt-get, which also installs
# its Depends from the Debian archive - so a missing or misspelt dependency fails here - then
# every bundled library is checked with ldd for unresolved dependencies, and the package is
# purged at the end, whatever happened. Not root: the .deb is unpacked into a temporary
# directory and the app is run from there (the dependency checks are skipped).
#
# The self-test runs offscreen inside a private D-Bus session with an unlocked gnome-keyring
# (scripts/keyring-session.sh), with a minimal environment: PATH without any virtualenv, so
# neither a kubectl nor a Python from the development setup can stand in for the bundled ones.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
deb="${1:-}"
if [ -z "$deb" ]; then
    # The most recent build: version strings do not sort reliably as file names.
    deb="$(find "$root/dist" -maxdepth 1 -name 'kiops-desktop_*.deb' -printf '%T@ %p\n' \
        2>/dev/null | sort -rn | head -n1 | cut -d' ' -f2- || true)"
fi
if [ -z "$deb" ] || [ ! -f "$deb" ]; then
    echo "smoke-test: no .deb to test (run make package first)" >&2
    exit 1
fi
deb="$(realpath "$deb")"
name=kiops-desktop
work="$(mktemp -d "${TMPDIR:-/tmp}/kiops-smoke.XXXXXX")"
installed=0

cleanup() {
    status=$?
    if [ "$installed" -eq 1 ]; then
        dpkg --purge "$name" >/dev/null || status=1
    fi
    rm -rf "$work"
    exit "$status"
}
trap cleanup EXIT

fail() {
    echo "smoke-test: FAILED: $*" >&2
    exit 1
}

echo "smoke-test: $(basename "$deb")"
if [ "$(id -u)" -eq 0 ]; then
    if dpkg-query -W -f='${Status}' "$name" 2>/dev/null | grep -q "install ok installed"; then
        fail "$name is already installed on this machine; remove it first (dpkg --purge $name)"
    fi
    # apt resolves the Depends from the archive; a stale package list gets one refresh.
    install_deb() {
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$deb" \
            >"$work/apt.log" 2>&1
    }
    installed=1
    if ! install_deb; then
        apt-get update -qq >/dev/null 2>&1 || true
        install_deb || { cat "$work/apt.log" >&2; fail "apt-get could not install the package"; }
    fi
    launcher="/usr/bin/$name"
    prefix="/usr/lib/$name"
    for file in "$launcher" "$prefix/$name" "$prefix/$name-credential" "$prefix/kubectl" \
        "/usr/share/applications/$name.desktop" \
        "/usr/share/icons/hicolor/256x256/apps/$name.png" \
        "/usr/share/icons/hicolor/scalable/apps/$name.svg"; do
        [ -e "$file" ] || fail "$file is missing after installing"
    done
    # Every bundled binary must resolve all its libraries from the bundle or the Depends.
    missing="$(find "$prefix" -type f \( -name '*.so' -o -name '*.so.*' \) -print0 |
        xargs -0 -n 50 ldd 2>/dev/null | grep 'not found' | sort -u || true)"
    [ -z "$missing" ] || fail "libraries not found (a Depends is missing):"$'\n'"$missing"
    echo "smoke-test: installed; every bundled library resolves"
else
    dpkg-deb -x "$deb" "$work/root"
    prefix="$work/root/usr/lib/$name"
    launcher="$prefix/$name"
    echo "smoke-test: not root, unpacked into $work/root"
fi

version="$(env -i PATH=/usr/bin:/bin "$launcher" --version)"
echo "smoke-test: $version"

mkdir -m 700 "$work/home"
set +e
env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME="$work/home" LANG=C.UTF-8 TMPDIR="$work" \
    QT_QPA_PLATFORM=offscreen \
    bash "$root/scripts/keyring-session.sh" "$launcher" --self-test --self-test-timeout 120 \
    >"$work/self-test.log" 2>&1
code=$?
set -e
grep -v -e '^dbus-daemon' -e 'does not support propagateSizeHints' "$work/self-test.log" || true
[ "$code" -eq 0 ] || fail "the installed app's --self-test exited $code"
for expected in "(frozen," "ok    history: deployment.apps/storefront" \
    "ok    console: kubectl version --client exited with code 0" "$prefix/kubectl)" \
    "ok    keyring: keyring.backends.SecretService" "$prefix/$name-credential answers" \
    "self-test passed"; do
    grep -qF -- "$expected" "$work/self-test.log" || fail "the self-test report lacks: $expected"
done

# The same on a real X server when Xvfb is there: the xcb platform plugin and its system
# libraries are what a desktop uses, offscreen loads neither.
if command -v xvfb-run >/dev/null; then
    set +e
    env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME="$work/home" LANG=C.UTF-8 TMPDIR="$work" \
        QT_QPA_PLATFORM=xcb xvfb-run -a -s "-screen 0 1600x1000x24 -nolisten tcp" \
        bash "$root/scripts/keyring-session.sh" "$launcher" --self-test --self-test-timeout 120 \
        >"$work/self-test-xcb.log" 2>&1
    code=$?
    set -e
    if [ "$code" -ne 0 ] || ! grep -qF "Qt platform xcb)" "$work/self-test-xcb.log"; then
        cat "$work/self-test-xcb.log" >&2
        fail "the installed app's --self-test on an X server (xcb) exited $code"
    fi
    echo "smoke-test: the self-test also passed on an X server (xcb, Xvfb)"
else
    echo "smoke-test: note: xvfb-run is not installed, the xcb platform was not tried"
fi
echo "smoke-test: passed"
