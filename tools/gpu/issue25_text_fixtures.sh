#!/usr/bin/env bash
# HunyuanVideo's text-side fixtures (tools/fixtures/make_hunyuan_text_fixtures.py): tokenizers and
# text encoders made with transformers, tokenizers and diffusers on the GPU machine's CPU (none of
# them is in Debian). Call through the device tool with carry [".gpu-deps"]; $OUT/hunyuan_text.tgz
# holds what goes into tests/fixtures/, $OUT/hunyuan_text.log the script's output.
set -uo pipefail
OUT=${OUT:-/tmp/svgen-out}
FX=/tmp/hunyuan-text-fx
rm -rf "$FX"
mkdir -p "$OUT" "$FX"
if [ ! -d .gpu-deps/diffusers-src/src/diffusers ] && [ -f .gpu-deps/issue21-diffusers.zip ]; then
  mkdir -p .gpu-deps/diffusers-src/src
  python3 -m zipfile -e .gpu-deps/issue21-diffusers.zip .gpu-deps/diffusers-src/src/
fi
python3 -c "import transformers, tokenizers; print('transformers', transformers.__version__, 'tokenizers', tokenizers.__version__)" >>"$OUT/hunyuan_text.log" 2>&1
PYTHONPATH="$PWD/.gpu-deps/diffusers-src/src" python3 tools/fixtures/make_hunyuan_text_fixtures.py "$FX" >>"$OUT/hunyuan_text.log" 2>&1
rc=$?
echo "exit $rc" >>"$OUT/hunyuan_text.log"
tail -n 40 "$OUT/hunyuan_text.log"
tar czf "$OUT/hunyuan_text.tgz" -C "$FX" .
exit $rc
