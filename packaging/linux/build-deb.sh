#!/usr/bin/env bash
# Build the Linux artifacts from the PyInstaller one-folder build (dist/kiops-desktop):
#
#   dist/kiops-desktop_VERSION_amd64.deb                installs to /usr/lib/kiops-desktop
#   dist/kiops-desktop-VERSION-linux-x86_64.tar.gz      the one-folder build as it is
#
#   packaging/linux/build-deb.sh [DIST_DIR]     (PYTHON=... for the interpreter that knows the
#                                               version; default .venv/bin/python)
#
# The .tar.gz keeps every library PyInstaller bundled, so it runs on other distributions. The
# .deb instead leaves out the system libraries that a Debian package provides and depends on
# those packages: the system's copies get security updates, and a bundled libstdc++ older than
# the one the system's GL drivers need cannot shadow it. Which libraries those are is read from
# PyInstaller's own record of where it took each file (COLLECT-00.toc), and `dpkg -S` names
# their packages.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
dist="$(realpath -m "${1:-$root/dist}")"
python="${PYTHON:-$root/.venv/bin/python}"
app="$dist/kiops-desktop"
toc="$root/build/pyinstaller/kiops-desktop/COLLECT-00.toc"
name=kiops-desktop

for tool in dpkg-deb dpkg-query tar; do
    command -v "$tool" >/dev/null || { echo "build-deb: $tool is missing" >&2; exit 1; }
done
if [ ! -x "$app/kiops-desktop" ] || [ ! -f "$toc" ]; then
    echo "build-deb: no PyInstaller build in $app (run make package)" >&2
    exit 1
fi

version="$("$python" -c 'from importlib.metadata import version; print(version("kiops-desktop"))')"
arch="$(dpkg --print-architecture)"
case "$arch" in
    amd64) tar_arch=x86_64 ;;
    arm64) tar_arch=aarch64 ;;
    *) tar_arch="$arch" ;;
esac
deb="$dist/${name}_${version}_${arch}.deb"
tarball="$dist/${name}-${version}-linux-${tar_arch}.tar.gz"

# --------------------------------------------------------------------------- the .tar.gz
rm -f "$tarball"
tar -C "$dist" --owner=0 --group=0 --numeric-owner --sort=name -czf "$tarball" kiops-desktop
echo "build-deb: $tarball ($(du -h "$tarball" | cut -f1))"

# --------------------------------------------------------------------------- the .deb tree
stage="$(mktemp -d "${TMPDIR:-/tmp}/kiops-deb.XXXXXX")"
trap 'rm -rf "$stage"' EXIT
pkg="$stage/pkg"
install -d -m 0755 "$pkg/DEBIAN" "$pkg/usr/lib" "$pkg/usr/bin" "$pkg/usr/share/applications" \
    "$pkg/usr/share/doc/$name"
cp -a "$app" "$pkg/usr/lib/$name"

# System libraries PyInstaller bundled: "bundled-name<TAB>source-path", top level of _internal.
mapfile -t system_libs < <("$python" - "$toc" <<'PY'
import ast
import sys

toc = ast.literal_eval(open(sys.argv[1], encoding="utf-8").read())
entries = toc[-1] if isinstance(toc, tuple) else toc
for entry in entries:
    if not (isinstance(entry, tuple) and len(entry) == 3):
        continue
    dest, src, typecode = entry
    system = src.startswith(("/lib/", "/lib64/", "/usr/lib/", "/usr/lib64/"))
    if typecode == "BINARY" and system and "/" not in dest:
        print(f"{dest}\t{src}")
PY
)

declare -A derived=()
unbundled=0
for line in "${system_libs[@]}"; do
    lib="${line%%$'\t'*}"
    src="${line#*$'\t'}"
    owner=""
    # Debian 12 merges /lib into /usr/lib; dpkg may know either spelling of the path.
    for candidate in "$src" "$(realpath -m "$src")" "${src#/usr}" "/usr${src#/usr}"; do
        owner="$(dpkg-query -S "$candidate" 2>/dev/null | head -n1 | cut -d: -f1)" || true
        [ -n "$owner" ] && break
    done
    if [ -z "$owner" ]; then
        continue  # not from a Debian package (a local build): keep the bundled copy
    fi
    rm -f "$pkg/usr/lib/$name/_internal/$lib"
    derived["$owner"]=1
    unbundled=$((unbundled + 1))
done
echo "build-deb: $unbundled system libraries left to their Debian packages"

# The launcher: a script rather than a symlink, so the bundle's own folder is found however
# the bootloader resolves its path, and the command is the same as from source.
cat >"$pkg/usr/bin/$name" <<'SH'
#!/bin/sh
exec /usr/lib/kiops-desktop/kiops-desktop "$@"
SH
chmod 0755 "$pkg/usr/bin/$name"

install -m 0644 "$root/resources/linux/$name.desktop" "$pkg/usr/share/applications/$name.desktop"
for size in 16 24 32 48 64 128 256 512; do
    install -D -m 0644 "$root/resources/icons/$name-$size.png" \
        "$pkg/usr/share/icons/hicolor/${size}x${size}/apps/$name.png"
done
install -D -m 0644 "$root/resources/icons/$name.svg" \
    "$pkg/usr/share/icons/hicolor/scalable/apps/$name.svg"
cat >"$pkg/usr/share/doc/$name/README.Debian" <<EOF
KIOPS Desktop $version, built with PyInstaller. The application lives in /usr/lib/$name,
including the kubectl it runs (/usr/lib/$name/kubectl) and the kubectl credential plugin
(/usr/lib/$name/kiops-desktop-credential) that kubeconfigs written by the app call.
Check an installation with: kiops-desktop --self-test
EOF
chmod -R u=rwX,go=rX "$pkg/usr"

if command -v desktop-file-validate >/dev/null; then
    desktop-file-validate "$pkg/usr/share/applications/$name.desktop"
fi

# What Qt's platform plugins need from the system (ENVIRONMENT.md: the xcb plugin also needs
# libxcb-icccm4 and libxcb-keysyms1; GL and EGL are never bundled by PyInstaller), the D-Bus
# library the keyring's Secret Service and Qt's portal theme use, and what the wayland plugin
# links - plus every package whose library was left out above.
base_depends=(
    libc6 libegl1 libgl1 libopengl0 libfontconfig1 libfreetype6 libdbus-1-3 libglib2.0-0
    libx11-6 libx11-xcb1 libxkbcommon0 libxkbcommon-x11-0 libxcb1 libxcb-cursor0 libxcb-icccm4
    libxcb-image0 libxcb-keysyms1 libxcb-randr0 libxcb-render-util0 libxcb-render0
    libxcb-shape0 libxcb-shm0 libxcb-sync1 libxcb-xfixes0 libxcb-xkb1 libxcb-glx0
    libwayland-client0 libwayland-cursor0 libwayland-egl1
)
declare -A seen=()
depends=()
for package in "${base_depends[@]}" $(printf '%s\n' "${!derived[@]}" | sort); do
    [ -n "${seen[$package]:-}" ] && continue
    seen["$package"]=1
    depends+=("$package")
done
depends_line="$(printf '%s, ' "${depends[@]}")"
depends_line="${depends_line%, }"
installed_kib="$(du -sk --exclude=DEBIAN "$pkg" | cut -f1)"

cat >"$pkg/DEBIAN/control" <<EOF
Package: $name
Version: $version
Architecture: $arch
Maintainer: KIOPS Desktop developers <kiops-desktop@users.noreply.github.com>
Installed-Size: $installed_kib
Depends: $depends_line
Recommends: fonts-dejavu-core | fonts-liberation, gnome-keyring | kwalletmanager | keepassxc
Section: admin
Priority: optional
Homepage: https://github.com/kiops/kiops-desktop
Description: roll back a bad release on Kubernetes, Docker and Podman
 KIOPS Desktop lists the services an operator runs on Kubernetes, Docker and
 Podman, shows what was deployed when, and rolls a service back - to the
 previous revision with one confirmed click, or to any earlier one - then
 proves that the rollback worked. Secrets live in the OS keyring.
 .
 This package bundles its own Python, Qt and kubectl in /usr/lib/kiops-desktop.
EOF

rm -f "$deb"
dpkg-deb -Zzstd --build --root-owner-group "$pkg" "$deb" >/dev/null
echo "build-deb: $deb ($(du -h "$deb" | cut -f1), installed $((installed_kib / 1024)) MiB)"
