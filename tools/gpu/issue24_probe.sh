#!/usr/bin/env bash
# Issue 24: what packed weights (ComfyUI's scaled fp8, GGUF Q8_0) cost and save on the GPU,
# against the same random weights held natively (bf16), each in the same process as its dense
# baseline. Run after `tools/gpu/run.sh info` (which builds build-gpu), with carry [".gpu-deps"]:
#   bash tools/gpu/run.sh info; bash tools/gpu/issue24_probe.sh weights
# (SKIP_14B=1 leaves out the 14B rows, which need about 60 GB of host memory and minutes to make.)
# Log: $OUT/probe24.log.
set -uo pipefail
OUT=${OUT:-/tmp/svgen-out}
mkdir -p "$OUT"
svgen=build-gpu/bin/svgen
log="$OUT/probe24.log"
say() { echo "== $* ($(date -u +%H:%M:%S))" | tee -a "$log"; }
nvidia-smi --query-gpu=name,clocks.sm,clocks.max.sm --format=csv >>"$log" 2>&1

for part in "$@"; do
  case "$part" in
    weights)
      # Seconds per CFG step and device memory with the DiT's matrices native, fp8 and Q8_0:
      # 1.3B at 720p, dense and SVG (128-token blocks, density 0.30); 14B at 480p, dense.
      run() {  # config size methods weights
        say "bench generate $1 $2 $3 --weights $4"
        $svgen bench generate --config "$1" --random-weights --frames 81 --size "$2" --steps 2 \
          --cfg --methods "$3" --density 0.30 --svg-block 128 --weights "$4" 2>&1 \
          | grep -v "^bench:" | tee -a "$log"
      }
      for w in native fp8 q8_0; do run wan-1.3b 1280x720 dense,svg "$w"; done
      [ "${SKIP_14B:-0}" = 1 ] || for w in native fp8; do run wan-14b 832x480 dense "$w"; done ;;
    budget)
      # The VRAM budget as a creator's card would impose it (the allocator's memory fraction):
      # 1.3B at 480p under 6 GiB and at 720p under 8 GiB, then 720p without a budget (the
      # baseline the levers' slowdown is read against), with --tiled-decode alone, and SVG under
      # 12 GiB; 2 steps each, every stage's time and peak and the plan's notes. Needs the random
      # 1.3B folder in /tmp/wan13b (made here when missing).
      bash tools/gpu/wan13b_folder.sh "$log"
      cases=("832x480 6 dense" "1280x720 8 dense" "1280x720 0 dense"
             "1280x720 0 dense --tiled-decode" "1280x720 12 svg")
      # BUDGET_CASES="..." (one case per line) runs only those, e.g. "832x480 6 dense --sampler dpm++".
      [ -n "${BUDGET_CASES:-}" ] && mapfile -t cases <<<"$BUDGET_CASES"
      for case in "${cases[@]}"; do
        set -- $case
        size=$1 vram=$2 method=$3
        shift 3
        name="budget-$size-$vram-$method$*"
        name=${name// /}
        say "generate $size --vram $vram --attention $method $*"
        $svgen generate --model /tmp/wan13b --device cuda -p "a cat walks on the grass" -s 2 -f 81 \
          -W "${size%x*}" -H "${size#*x}" -g 5 --seed 1 --warmup 0 --attention "$method" \
          --svg-block 128 --vram "$vram" "$@" --out "/tmp/$name.y4m" --json -q \
          >"/tmp/$name.json" 2>>"$log"
        echo "exit $?" | tee -a "$log"
        [ -s "/tmp/$name.json" ] && python3 -c "import json,sys;j=json.load(open(sys.argv[1]));print({k:j.get(k) for k in ('timings_seconds','step_seconds','peak_gpu_memory_gib','notes')})" \
          "/tmp/$name.json" 2>&1 | tee -a "$log"
      done ;;
    stream)
      # Block swap: what streaming the blocks from host memory costs per CFG step at 720p
      # (dense resident and streamed in one process), then a clip under --vram 5 (streamed
      # blocks) against the same clip under --vram 8 (resident; every other saving the same):
      # the frames must be identical. Run after `budget` has made /tmp/wan13b, or it makes it.
      say "bench generate 1280x720 --stream-blocks"
      $svgen bench generate --config wan-1.3b --random-weights --frames 81 --size 1280x720 \
        --steps 3 --cfg --methods dense --stream-blocks 2>&1 | grep -v "^bench:" | tee -a "$log"
      BUDGET_CASES=$'1280x720 8 dense\n1280x720 5 dense' bash "$0" budget
      if cmp -s /tmp/budget-1280x720-8-dense.y4m /tmp/budget-1280x720-5-dense.y4m; then
        say "streamed and resident clips: identical"
      else
        say "streamed and resident clips: DIFFER"
      fi ;;
    *) echo "unknown part $part" ;;
  esac
done
say "probe done"
