#!/usr/bin/env bash
# Issue 25: Wan 2.2's two experts on CUDA. The random Wan 2.1 1.3B folder (wan13b_folder.sh) is
# made a two-expert model whose experts are the same transformer (links, boundary_ratio 0.875):
# with the same guidance for both, its clip must be the one-network clip, so the expert swap at
# the boundary (the high-noise expert freed, the low-noise one loaded) is checked on the GPU and
# its cost timed. Run after `tools/gpu/run.sh info` (which builds build-gpu), with carry
# [".gpu-deps"]. Logs: $OUT/wan22_probe.log.
set -uo pipefail
OUT=${OUT:-/tmp/svgen-out}
mkdir -p "$OUT"
svgen=build-gpu/bin/svgen
log="$OUT/wan22_probe.log"
say() { echo "== $* ($(date -u +%H:%M:%S))" | tee -a "$log"; }
nvidia-smi --query-gpu=name --format=csv,noheader >>"$log" 2>&1
bash tools/gpu/wan13b_folder.sh "$log"
rm -rf /tmp/wan22x && mkdir -p /tmp/wan22x
for part in /tmp/wan13b/*; do ln -s "$part" /tmp/wan22x/; done
ln -s /tmp/wan13b/transformer /tmp/wan22x/transformer_2
rm /tmp/wan22x/model_index.json
python3 - <<'PY'
import json
j = json.load(open("/tmp/wan13b/model_index.json"))
j["boundary_ratio"] = 0.875
j["transformer_2"] = j["transformer"]
json.dump(j, open("/tmp/wan22x/model_index.json", "w"), indent=2)
PY
say "inspect"
$svgen inspect /tmp/wan22x 2>&1 | head -n 12 | tee -a "$log"
# Every setting explicit: the two-expert model's defaults are Wan 2.2's (720p, 40 steps, shift 12).
common=(-p "a cat walks on the grass" -s "${STEPS:-20}" -f 81 -W 832 -H 480 -g 5 --shift 5
  --seed 1 --device cuda --json -q)
for method in ${METHODS:-dense svg}; do
  say "one network, $method"
  $svgen generate --model /tmp/wan13b "${common[@]}" --attention "$method" \
    --out "/tmp/one-$method.y4m" >"/tmp/one-$method.json" 2>>"$log"
  echo "exit $?" >>"$log"
  say "two experts (the same weights), $method"
  $svgen generate --model /tmp/wan22x "${common[@]}" --guidance-low 5 --attention "$method" \
    --out "/tmp/two-$method.y4m" >"/tmp/two-$method.json" 2>>"$log"
  echo "exit $?" >>"$log"
  python3 - "$method" <<'PY' 2>&1 | tee -a "$log"
import json, sys
import numpy as np
m = sys.argv[1]
def frames(path):
    data = open(path, "rb").read()
    end = data.index(b"\n")
    header = data[:end]
    w = int([t[1:] for t in header.split() if t.startswith(b"W")][0])
    h = int([t[1:] for t in header.split() if t.startswith(b"H")][0])
    size = int(w * h * (3 if b"C444" in header else 1.5))
    out, at = [], end + 1
    while data.startswith(b"FRAME", at):
        at = data.index(b"\n", at) + 1
        out.append(np.frombuffer(data, np.uint8, size, at))
        at += size
    return np.stack(out).astype(np.float64)
a, b = frames(f"/tmp/one-{m}.y4m"), frames(f"/tmp/two-{m}.y4m")
mse = ((a - b) ** 2).mean()
psnr = float("inf") if mse == 0 else 10 * np.log10(255 ** 2 / mse)
print(f"{m}: {len(a)} frames; two experts vs one network PSNR {psnr:.2f} dB, "
      f"max abs diff {np.abs(a - b).max():.0f}")
for name in ("one", "two"):
    j = json.load(open(f"/tmp/{name}-{m}.json"))
    s = j["step_seconds"]
    print(f"  {name}: denoise {j['timings_seconds']['denoise']:.2f} s, total "
          f"{j['total_seconds']:.2f} s, slowest step {max(s):.2f} s (step {s.index(max(s)) + 1}), "
          f"median step {sorted(s)[len(s) // 2]:.3f} s, peaks {j.get('peak_gpu_memory_gib')}")
PY
done
say "probe done"
