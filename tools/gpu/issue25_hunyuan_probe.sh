#!/usr/bin/env bash
# Issue 25: HunyuanVideo T2V 13B's transformer on CUDA with random bf16 weights. `ours`: svgen's
# selftest of the joint-attention plans, then `bench generate --config hunyuan-13b` (dense and
# each method in one process, the 256 text tokens dense); `diffusers`: diffusers'
# HunyuanVideoTransformer3DModel forward at the same shape (random weights, SDPA), for the
# dense-against-diffusers ratio the issue asks for (compare the two dense rows: same card, same
# call). Run after `tools/gpu/run.sh info` (which builds build-gpu), with carry [".gpu-deps"]:
#   bash tools/gpu/run.sh info; SIZE=1280x720 FRAMES=129 bash tools/gpu/issue25_hunyuan_probe.sh ours diffusers
# At 720p x 129 frames (118,800 video tokens) a dense pass takes tens of seconds: METHODS and STEPS
# keep a call inside the device's 10 minutes. Log: $OUT/hunyuan_probe.log.
set -uo pipefail
OUT=${OUT:-/tmp/svgen-out}
mkdir -p "$OUT"
svgen=build-gpu/bin/svgen
log="$OUT/hunyuan_probe.log"
say() { echo "== $* ($(date -u +%H:%M:%S))" | tee -a "$log"; }
SIZE=${SIZE:-1280x720}
FRAMES=${FRAMES:-129}
STEPS=${STEPS:-2}
METHODS=${METHODS:-dense,svg,svg2,svoo}
nvidia-smi --query-gpu=name --format=csv,noheader >>"$log" 2>&1
for part in "$@"; do
  case "$part" in
    ours)
      say "bench generate hunyuan-13b $SIZE x $FRAMES, $METHODS"
      $svgen bench generate --config hunyuan-13b --random-weights --size "$SIZE" \
        --frames "$FRAMES" --steps "$STEPS" --methods "$METHODS" 2>&1 | grep -v "^bench:" \
        | tee -a "$log" ;;
    diffusers)
      if [ ! -d .gpu-deps/diffusers-src/src/diffusers ] && [ -f .gpu-deps/issue21-diffusers.zip ]; then
        mkdir -p .gpu-deps/diffusers-src/src
        python3 -m zipfile -e .gpu-deps/issue21-diffusers.zip .gpu-deps/diffusers-src/src/
      fi
      say "diffusers HunyuanVideoTransformer3DModel $SIZE x $FRAMES"
      SIZE=$SIZE FRAMES=$FRAMES STEPS=$STEPS PYTHONPATH="$PWD/.gpu-deps/diffusers-src/src" \
        python3 - <<'PY' 2>&1 | tee -a "$log"
import os, time, torch
from diffusers import HunyuanVideoTransformer3DModel
w, h = map(int, os.environ["SIZE"].split("x"))
frames, steps = int(os.environ["FRAMES"]), int(os.environ["STEPS"])
with torch.device("meta"):
    dit = HunyuanVideoTransformer3DModel()  # the 13B's config
dit = dit.to_empty(device="cuda").to(torch.bfloat16)
torch.manual_seed(3)
with torch.no_grad():
    for name, p in dit.named_parameters():
        if p.dim() == 1:
            p.fill_(1.0 if "norm" in name and name.endswith("weight") else 0.0)
        else:
            p.normal_(0, p[0].numel() ** -0.5)
    x = torch.randn(1, 16, (frames - 1) // 4 + 1, h // 8, w // 8, device="cuda", dtype=torch.bfloat16)
    text = torch.randn(1, 256, 4096, device="cuda", dtype=torch.bfloat16)
    mask = torch.ones(1, 256, device="cuda", dtype=torch.bfloat16)
    pooled = torch.randn(1, 768, device="cuda", dtype=torch.bfloat16)
    t = torch.tensor([700.0], device="cuda", dtype=torch.bfloat16)
    g = torch.tensor([6000.0], device="cuda", dtype=torch.bfloat16)
    times = []
    for i in range(steps + 1):
        torch.cuda.synchronize(); start = time.time()
        dit(x, t, text, mask, pooled, guidance=g, return_dict=False)
        torch.cuda.synchronize(); times.append(time.time() - start)
        print(f"diffusers pass {i + 1}: {times[-1]:.3f} s", flush=True)
later = sorted(times[1:])
print(f"diffusers dense median {later[len(later) // 2]:.3f} s/pass (first {times[0]:.3f} s), "
      f"peak {torch.cuda.max_memory_allocated() / 2**30:.1f} GiB, torch {torch.__version__}")
PY
      ;;
  esac
done
