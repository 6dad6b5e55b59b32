#!/usr/bin/env bash
# Issue 25: the Wan 2.1 image-to-video reference fixtures, made with diffusers and transformers on
# the GPU machine's CPU (tools/fixtures/make_wan_i2v_fixtures.py). Call through the device tool with
# carry [".gpu-deps"]; $OUT/i2v_fixtures.tgz holds what goes into tests/fixtures/, $OUT/i2v.log the
# script's output.
set -uo pipefail
OUT=${OUT:-/tmp/svgen-out}
mkdir -p "$OUT" /tmp/i2v-fx
if [ ! -d .gpu-deps/diffusers-src/src/diffusers ] && [ -f .gpu-deps/issue21-diffusers.zip ]; then
  mkdir -p .gpu-deps/diffusers-src/src
  python3 -m zipfile -e .gpu-deps/issue21-diffusers.zip .gpu-deps/diffusers-src/src/
fi
PYTHONPATH="$PWD/.gpu-deps/diffusers-src/src" python3 tools/fixtures/make_wan_i2v_fixtures.py \
  /tmp/i2v-fx >"$OUT/i2v.log" 2>&1
echo "exit $?" >>"$OUT/i2v.log"
tail -n 40 "$OUT/i2v.log"
tar czf "$OUT/i2v_fixtures.tgz" -C /tmp/i2v-fx .
