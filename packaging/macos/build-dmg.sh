#!/usr/bin/env bash
# Pack "dist/KIOPS Desktop.app" (made by packaging/kiops-desktop.spec on macOS) into
# dist/KIOPS-Desktop-VERSION.dmg, signing and notarizing when the secrets are there.
#
#   packaging/macos/build-dmg.sh VERSION [DIST_DIR]
#
# Optional environment (secrets in CI; when absent that step is skipped with a note and the
# result is an unsigned, ad-hoc signed app that Gatekeeper asks about on first open):
#   MACOS_CODESIGN_IDENTITY   a "Developer ID Application: ..." identity in the keychain
#   APPLE_ID, APPLE_TEAM_ID, APPLE_APP_PASSWORD
#                             an Apple ID with an app-specific password, for notarytool
set -euo pipefail

if [ "$#" -lt 1 ]; then
    echo "usage: $0 VERSION [DIST_DIR]" >&2
    exit 2
fi
version="$1"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
dist="${2:-$here/../../dist}"
app="$dist/KIOPS Desktop.app"
dmg="$dist/KIOPS-Desktop-$version.dmg"
identity="${MACOS_CODESIGN_IDENTITY:-}"

for tool in hdiutil codesign; do
    command -v "$tool" >/dev/null || { echo "build-dmg: $tool is missing (macOS only)" >&2; exit 1; }
done
[ -d "$app" ] || { echo "build-dmg: $app is missing (run pyinstaller on macOS first)" >&2; exit 1; }

if [ -n "$identity" ]; then
    # Hardened runtime and a secure timestamp are what notarization requires. Inside-out
    # signing is PyInstaller's job (codesign_identity in the spec); --deep here re-seals the
    # bundle after anything was added.
    codesign --force --deep --options runtime --timestamp --sign "$identity" "$app"
    codesign --verify --deep --strict --verbose=2 "$app"
else
    echo "build-dmg: MACOS_CODESIGN_IDENTITY is not set: the app is not signed for distribution"
fi

stage="$(mktemp -d "${TMPDIR:-/tmp}/kiops-dmg.XXXXXX")"
trap 'rm -rf "$stage"' EXIT
cp -R "$app" "$stage/"
ln -s /Applications "$stage/Applications"  # drag-to-install
rm -f "$dmg"
hdiutil create -volname "KIOPS Desktop" -srcfolder "$stage" -fs HFS+ -format UDZO -ov "$dmg"

if [ -n "$identity" ]; then
    codesign --force --timestamp --sign "$identity" "$dmg"
fi
if [ -n "$identity" ] && [ -n "${APPLE_ID:-}" ] && [ -n "${APPLE_TEAM_ID:-}" ] &&
    [ -n "${APPLE_APP_PASSWORD:-}" ]; then
    xcrun notarytool submit "$dmg" --apple-id "$APPLE_ID" --team-id "$APPLE_TEAM_ID" \
        --password "$APPLE_APP_PASSWORD" --wait
    xcrun stapler staple "$dmg"
else
    echo "build-dmg: notarization skipped (needs the signing identity and APPLE_ID, APPLE_TEAM_ID, APPLE_APP_PASSWORD)"
fi
echo "build-dmg: $dmg"
