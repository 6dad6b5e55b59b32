#!/usr/bin/env bash
# Issue 21 item 1: why an SVG step of `svgen generate` (CFG, batch 2) costs ~2.75 bench passes
# while a dense step costs ~2.05, and whether the wgmma kernel at query tile 64 (SVG's default
# 64-token blocks) closes it. Run after `tools/gpu/run.sh info` (which builds build-gpu), with
# carry [".gpu-deps"], in parts that each fit one device call:
#   bash tools/gpu/run.sh info; bash tools/gpu/issue21_probe.sh kernel bench
#   bash tools/gpu/issue21_probe.sh generate
# `matched` times bench generate --cfg and svgen generate at the same density (0.30, generate's
# default) and block size, so the two ratios can be compared (issue 21's item 1).
# `generate` needs .gpu-deps/diffusers-src/src (or .gpu-deps/issue21-diffusers.zip of diffusers'
# src/diffusers) for the random Wan 1.3B folder. Logs: $OUT/probe.log, $OUT/gen_runs.tgz.
set -uo pipefail
OUT=${OUT:-/tmp/svgen-out}
mkdir -p "$OUT"
svgen=build-gpu/bin/svgen
log="$OUT/probe.log"
say() { echo "== $* ($(date -u +%H:%M:%S))" | tee -a "$log"; }
SIZE=${SIZE:-1280x720}
STEPS=${STEPS:-3}
nvidia-smi --query-gpu=name,clocks.sm,clocks.max.sm --format=csv >>"$log" 2>&1

bench() {  # title args...: one bench generate, dense in the same process when listed
  say "bench generate $SIZE $1"
  shift
  $svgen bench generate --config wan-1.3b --random-weights --frames 81 --size "$SIZE" --steps 3 \
    "$@" 2>&1 | grep -v "^bench:" | tee -a "$log"
}

for part in "$@"; do
  case "$part" in
    kernel)
      # The block-sparse kernel's checks (every variant and tile), then its rate at Wan 720p
      # against SDPA: mma.sync and wgmma at query tiles 64 and 128.
      say "selftest cuda"
      $svgen selftest --device cuda 2>&1 | tee "$OUT/selftest.log" | grep -E "FAIL|passed|checks" \
        | tail -n 12 | tee -a "$log"
      say "bench attention 720p"
      $svgen bench attention --device cuda --tokens 75600 --quiet 2>&1 | tee -a "$log" ;;
    bench)
      # Per pass (batch 1) and per CFG step (batch 2), SVG at 64- and 128-token blocks.
      bench "per pass, svg block 64" --methods dense,svg --svg-block 64
      bench "per pass, svg block 128" --methods svg --svg-block 128
      bench "cfg step, svg block 64" --cfg --methods dense,svg --svg-block 64
      bench "cfg step, svg block 128" --cfg --methods svg --svg-block 128
      bench "cfg step, svg block 64, phases" --cfg --methods svg --svg-block 64 --phases ;;
    matched)
      bench "cfg step, density 0.30, svg block 128" --cfg --methods dense,svg --density 0.30 \
        --svg-block 128
      bench "cfg step, density 0.30, svg block 64" --cfg --methods svg --density 0.30 --svg-block 64 ;;
    structured)
      # Item 4: heads that attend like a trained model's, every method at its own budget rule
      # (--top-p 0.8, the registry default: SVG2's and SVOO's) and at a fixed 25% of the blocks, batched CFG steps.
      bench "structured, own budgets" --structured --cfg --methods dense,svg,svg2,svoo --top-p 0.8
      bench "structured, 25% of blocks" --structured --cfg --methods dense,svg,svg2,svoo \
        --density 0.25 ;;
    clips)
      # Whole clips on structured heads (svgen generate --structured-attention), every method at
      # its own budget rule with the default 20% dense warm-up: STEPS steps (50 for the issue's
      # table; each 720p dense clip then takes about 4 minutes, so one method per device call).
      # METHODS="dense svg svg2 svoo" picks them.
      bash tools/gpu/wan13b_folder.sh "$log"
      # SVOO's per-layer budgets come from its offline profile: measured on the same structured
      # heads (the seed picks them), at this size, over a few steps.
      if [[ " ${METHODS:-} " == *" svoo "* ]] && [ ! -f /tmp/wan13b/svoo_profile.json ]; then
        say "svoo profile $SIZE (structured heads)"
        $svgen profile --model /tmp/wan13b --device cuda -p "a cat walks on the grass" -s 5 -f 81 --seed 1 \
          -W "${SIZE%x*}" -H "${SIZE#*x}" --structured-attention -q 2>&1 | tail -n 5 | tee -a "$log"
      fi
      for m in ${METHODS:-dense svg svg2}; do
        say "structured clip $SIZE $m, $STEPS steps"
        $svgen generate --model /tmp/wan13b --device cuda -p "a cat walks on the grass" \
          -s "$STEPS" -f 81 -W "${SIZE%x*}" -H "${SIZE#*x}" -g 5 --seed 1 --attention "$m" \
          --structured-attention --out "/tmp/clip-$m.y4m" --json -q >"/tmp/clip-$m.json" 2>>"$log"
        echo "exit $?" >>"$log"
        python3 -c "import json,sys;j=json.load(open(sys.argv[1]));print(sys.argv[2],{k:j.get(k) for k in ('timings_seconds','total_seconds','sparse_attention_density')})" \
          "/tmp/clip-$m.json" "$m" 2>&1 | tee -a "$log"
      done ;;
    generate)
      bash tools/gpu/wan13b_folder.sh "$log"
      # svgen generate, every step sparse (--warmup 0), guidance 5: one batch of 2 a step.
      mkdir -p /tmp/gen-runs
      run() {  # name args...
        local name=$1
        shift
        say "generate $name"
        $svgen generate --model /tmp/wan13b --device cuda -p "a cat walks on the grass" \
          -s "$STEPS" -f 81 -W "${SIZE%x*}" -H "${SIZE#*x}" -g 5 --seed 1 --warmup 0 "$@" \
          --out "/tmp/gen-$name.y4m" --json -q >"/tmp/gen-runs/$name.json" 2>>"$log"
        echo "exit $?" >>"$log"
        python3 - "/tmp/gen-runs/$name.json" <<'PY' | tee -a "$log"
import json, sys
j = json.load(open(sys.argv[1]))
s = j["step_seconds"]
print(f'{sys.argv[1].split("/")[-1]:16s} steps {" ".join(f"{x:.3f}" for x in s)}  '
      f'attention_s {j.get("attention_seconds", float("nan")):.3f}  '
      f'sparse_density {j.get("sparse_attention_density", 1):.3f}  '
      f'peak GiB {j.get("peak_gpu_memory_gib", {})}')
PY
      }
      run dense --attention dense
      run svg64 --attention svg --svg-block 64
      run svg128 --attention svg --svg-block 128
      run svg128-d25 --attention svg --svg-block 128 --density 0.25
      # Issue 24: the VAE decoded in tiles, its peak and its frames against the whole decode.
      run dense-tiled --attention dense --tiled-decode
      python3 - /tmp/gen-dense.y4m /tmp/gen-dense-tiled.y4m <<'PY' | tee -a "$log"
import sys
import numpy as np
def frames(path):
    data = open(path, "rb").read()
    head, rest = data.split(b"\n", 1)
    w = int([t for t in head.split() if t.startswith(b"W")][0][1:])
    h = int([t for t in head.split() if t.startswith(b"H")][0][1:])
    size = w * h * 3  # C444
    out = []
    while rest.startswith(b"FRAME"):
        rest = rest.split(b"\n", 1)[1]
        out.append(np.frombuffer(rest[:size], np.uint8).astype(np.float64))
        rest = rest[size:]
    return np.stack(out)
a, b = frames(sys.argv[1]), frames(sys.argv[2])
mse = ((a - b) ** 2).mean()
print(f"tiled vs whole decode: {len(a)} frames, PSNR {10 * np.log10(255 ** 2 / mse):.2f} dB (YCbCr 4:4:4 bytes)")
PY
      (cd /tmp/gen-runs && tar czf "$OUT/gen_runs.tgz" .) ;;
    *) echo "unknown part $part" ;;
  esac
done
say "probe done"
