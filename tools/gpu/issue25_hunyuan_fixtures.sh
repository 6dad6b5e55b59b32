#!/usr/bin/env bash
# HunyuanVideo's transformer fixtures (tools/fixtures/make_hunyuan_fixtures.py), made with diffusers
# on the GPU machine's CPU. Call through the device tool with carry [".gpu-deps"];
# $OUT/hunyuan_fixtures.tgz holds what goes into tests/fixtures/, $OUT/hunyuan.log the script's output.
# Exits with the script's status.
set -uo pipefail
OUT=${OUT:-/tmp/svgen-out}
FX=/tmp/hunyuan-fx
rm -rf "$FX"
mkdir -p "$OUT" "$FX"
if [ ! -d .gpu-deps/diffusers-src/src/diffusers ] && [ -f .gpu-deps/issue21-diffusers.zip ]; then
  mkdir -p .gpu-deps/diffusers-src/src
  python3 -m zipfile -e .gpu-deps/issue21-diffusers.zip .gpu-deps/diffusers-src/src/
fi
echo "== tools/fixtures/make_hunyuan_fixtures.py" >>"$OUT/hunyuan.log"
PYTHONPATH="$PWD/.gpu-deps/diffusers-src/src" python3 tools/fixtures/make_hunyuan_fixtures.py "$FX" >>"$OUT/hunyuan.log" 2>&1
rc=$?
echo "exit $rc" >>"$OUT/hunyuan.log"
tail -n 60 "$OUT/hunyuan.log"
tar czf "$OUT/hunyuan_fixtures.tgz" -C "$FX" .
exit $rc
