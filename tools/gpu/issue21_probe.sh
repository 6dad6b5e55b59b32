#!/usr/bin/env bash
# Issue 21 item 1 (temporary probe, investigation only): why an SVG step of `svgen generate` (CFG,
# batch 2) costs ~2.75 bench passes while a dense step costs ~2.05. Run after `tools/gpu/run.sh
# info` (which builds build-gpu), with carry [".gpu-deps"]:
#   bash tools/gpu/run.sh info; bash tools/gpu/issue21_probe.sh
# Needs .gpu-deps/diffusers-src/src (or .gpu-deps/issue21-diffusers.zip of diffusers' src/diffusers)
# for the random Wan 1.3B folder. Logs: $OUT/probe.log, $OUT/gen_runs.tgz.
set -uo pipefail
OUT=${OUT:-/tmp/svgen-out}
mkdir -p "$OUT"
svgen=build-gpu/bin/svgen
log="$OUT/probe.log"
say() { echo "== $* ($(date -u +%H:%M:%S))" | tee -a "$log"; }
SIZE=${SIZE:-1280x720}
STEPS=${STEPS:-3}

say "tools"
{ which nsys ncu; nvidia-smi --query-gpu=name,clocks.sm,clocks.max.sm --format=csv; } >>"$log" 2>&1

# 1. One forward pass, batch 1 (bench): SVG at its bench block (128) against the block that
#    `svgen generate` uses by default (svg-block 64), then the phases of each.
if [ "${SKIP_BENCH:-0}" != 1 ]; then
  say "bench generate $SIZE dense,svg svg-block 128"
  $svgen bench generate --config wan-1.3b --random-weights --frames 81 --size "$SIZE" --steps 3 \
    --methods dense,svg --svg-block 128 2>&1 | grep -v "^bench:" | tee -a "$log"
  say "bench generate $SIZE svg svg-block 64"
  $svgen bench generate --config wan-1.3b --random-weights --frames 81 --size "$SIZE" --steps 3 \
    --methods svg --svg-block 64 2>&1 | grep -v "^bench:" | tee -a "$log"
  for blk in 128 64; do
    say "bench generate $SIZE svg svg-block $blk --phases"
    $svgen bench generate --config wan-1.3b --random-weights --frames 81 --size "$SIZE" --steps 3 \
      --methods svg --svg-block $blk --phases 2>&1 | grep -v "^bench:" | tee -a "$log"
  done
fi

# 2. The random Wan 2.1 1.3B folder (as tools/gpu/run.sh's wan_folder).
if [ ! -d .gpu-deps/diffusers-src/src/diffusers ] && [ -f .gpu-deps/issue21-diffusers.zip ]; then
  mkdir -p .gpu-deps/diffusers-src/src
  python3 -m zipfile -e .gpu-deps/issue21-diffusers.zip .gpu-deps/diffusers-src/src/
fi
if [ ! -d /tmp/wan13b/vae ]; then
  say "wan 1.3B random folder"
  PYTHONPATH="$PWD/.gpu-deps/diffusers-src/src" python3 tools/fixtures/make_wan_random.py /tmp/wan13b \
    2>&1 | tail -n 8 | tee -a "$log"
fi

# 3. svgen generate, every step sparse (--warmup 0): CFG on (guidance 5: one batch of 2) and off
#    (guidance 1: batch 1); SVG at the generate default block 64 and at the bench's 128.
mkdir -p /tmp/gen-runs
run() {  # name guidance args...
  local name=$1 g=$2
  shift 2
  say "generate $name guidance $g"
  $svgen generate --model /tmp/wan13b --device cuda -p "a cat walks on the grass" -s "$STEPS" \
    -f 81 -W "${SIZE%x*}" -H "${SIZE#*x}" -g "$g" --seed 1 --warmup 0 "$@" --out /tmp/gen.y4m \
    --json -q >"/tmp/gen-runs/$name-g$g.json" 2>>"$log"
  echo "exit $?" >>"$log"
  python3 - "/tmp/gen-runs/$name-g$g.json" <<'PY' | tee -a "$log"
import json, sys
j = json.load(open(sys.argv[1]))
s = j["step_seconds"]
print(f'{sys.argv[1].split("/")[-1]:24s} steps {" ".join(f"{x:.3f}" for x in s)}  '
      f'attention_s {j.get("attention_seconds", float("nan")):.3f}  '
      f'sparse_density {j.get("sparse_attention_density", 1):.3f}  '
      f'peak {j.get("peak_gpu_memory_gib", {})}')
PY
}
for g in ${GUIDANCES:-5 1}; do
  run dense "$g" --attention dense
  run svg64 "$g" --attention svg --svg-block 64
  run svg128 "$g" --attention svg --svg-block 128
done
(cd /tmp/gen-runs && tar czf "$OUT/gen_runs.tgz" .)
say "probe done"
