#!/usr/bin/env bash
# Issue 25: the Wan 2.2 two-expert reference fixtures, made with diffusers on the GPU machine's CPU
# (tools/fixtures/make_wan22_fixtures.py). Call through the device tool with carry [".gpu-deps"];
# $OUT/wan22_fixtures.tgz holds what goes into tests/fixtures/, $OUT/wan22.log the script's output.
set -uo pipefail
OUT=${OUT:-/tmp/svgen-out}
mkdir -p "$OUT" /tmp/wan22-fx
if [ ! -d .gpu-deps/diffusers-src/src/diffusers ] && [ -f .gpu-deps/issue21-diffusers.zip ]; then
  mkdir -p .gpu-deps/diffusers-src/src
  python3 -m zipfile -e .gpu-deps/issue21-diffusers.zip .gpu-deps/diffusers-src/src/
fi
PYTHONPATH="$PWD/.gpu-deps/diffusers-src/src" python3 tools/fixtures/make_wan22_fixtures.py \
  /tmp/wan22-fx >"$OUT/wan22.log" 2>&1
echo "exit $?" >>"$OUT/wan22.log"
tail -n 40 "$OUT/wan22.log"
tar czf "$OUT/wan22_fixtures.tgz" -C /tmp/wan22-fx .
