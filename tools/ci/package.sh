#!/usr/bin/env bash
# CI: the Debian package as a user gets it. Builds it with CPack from BUILD_DIR (default build),
# installs it with apt (dependencies resolved as for any .deb), checks its metadata and desktop
# files, and generates a clip with the installed svgen from outside the source tree. Removes the
# package at the end unless KEEP_PACKAGE=1.
set -euo pipefail
cd "$(dirname "$0")/../.."
build=$(realpath "${BUILD_DIR:-build}")
sudo=""
[ "$(id -u)" -eq 0 ] || sudo=sudo

echo "== package: cpack"
rm -f "$build"/svgen_*.deb
(cd "$build" && cpack -G DEB >/dev/null)
deb=$(ls "$build"/svgen_*.deb)
for field in Section:video Maintainer: Depends:libtorch; do
  name=${field%%:*} want=${field#*:}
  value=$(dpkg-deb -f "$deb" "$name")
  [[ -n "$value" && "$value" == *"$want"* ]] || { echo "package $name is '$value'"; exit 1; }
done

echo "== package: install"
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y --no-install-recommends "$deb" >/dev/null
trap '[ "${KEEP_PACKAGE:-0}" = 1 ] || DEBIAN_FRONTEND=noninteractive $sudo apt-get remove -y svgen >/dev/null' EXIT

echo "== package: metadata"
desktop-file-validate /usr/share/applications/io.github.svgen.studio.desktop
appstreamcli validate --pedantic --no-net /usr/share/metainfo/io.github.svgen.studio.metainfo.xml

echo "== package: generate outside the tree"
outside=$(mktemp -d)
(cd "$outside" && /usr/bin/svgen generate --prompt "a red circle moving right" --frames 8 \
  --width 64 --height 64 --steps 2 --quiet --json --out clip.mp4 >result.json)
grep -q '"model_label": "built-in' "$outside/result.json" || { cat "$outside/result.json"; exit 1; }
frames=$(ffprobe -v error -count_frames -select_streams v:0 -show_entries stream=nb_read_frames \
  -of csv=p=0 "$outside/clip.mp4")
[ "$frames" = 8 ] || { echo "the installed svgen wrote $frames frames, want 8"; exit 1; }
rm -rf "$outside"
echo "== package: ok ($(basename "$deb"))"
