#!/usr/bin/env bash
# Copies the header-only libraries (Debian's nlohmann-json3-dev and libcli11-dev) that the GPU
# machine lacks into .gpu-deps/include, which the device tool carries along (it is git-ignored).
set -euo pipefail
cd "$(dirname "$0")/../.."
mkdir -p .gpu-deps/include
cp -r /usr/include/nlohmann /usr/include/CLI .gpu-deps/include/
du -sh .gpu-deps
