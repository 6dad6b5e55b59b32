#!/usr/bin/env bash
# Issue 25: the Wan 2.2 reference fixtures, made with diffusers on the GPU machine's CPU. Arguments:
# the fixture scripts to run (default: tools/fixtures/make_wan22_fixtures.py, the two experts;
# tools/fixtures/make_wan22_ti2v_fixtures.py makes TI2V-5B's VAE and transformer). Call through the
# device tool with carry [".gpu-deps"]; $OUT/wan22_fixtures.tgz holds what goes into
# tests/fixtures/, $OUT/wan22.log the scripts' output.
set -uo pipefail
OUT=${OUT:-/tmp/svgen-out}
mkdir -p "$OUT" /tmp/wan22-fx
if [ ! -d .gpu-deps/diffusers-src/src/diffusers ] && [ -f .gpu-deps/issue21-diffusers.zip ]; then
  mkdir -p .gpu-deps/diffusers-src/src
  python3 -m zipfile -e .gpu-deps/issue21-diffusers.zip .gpu-deps/diffusers-src/src/
fi
for script in "${@:-tools/fixtures/make_wan22_fixtures.py}"; do
  echo "== $script" >>"$OUT/wan22.log"
  PYTHONPATH="$PWD/.gpu-deps/diffusers-src/src" python3 "$script" /tmp/wan22-fx >>"$OUT/wan22.log" 2>&1
  echo "exit $?" >>"$OUT/wan22.log"
done
tail -n 40 "$OUT/wan22.log"
tar czf "$OUT/wan22_fixtures.tgz" -C /tmp/wan22-fx .
