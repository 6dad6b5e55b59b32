#!/usr/bin/env bash
# On the GPU machine: build svgen against PyTorch's LibTorch (no Qt, no FFmpeg there) and run the
# named tasks, logging everything under $OUT. Prepare on the dev machine first with
#   tools/gpu/prepare.sh        (copies the header-only libraries the GPU machine lacks)
# then call through the device tool with carry [".gpu-deps"], e.g.
#   bash tools/gpu/run.sh info generate train:14
# Tasks: info | selftest | bench-attention | bench-kernels | generate | sparse | eval | quality |
# wan-parity | wan-random |
# train:MINUTES | resume:MINUTES | finetune:MINUTES. At most 8 files come back: run.log, train.log,
# train_log.csv and the model folder's files.
set -uo pipefail
OUT=${OUT:-/tmp/svgen-out}
mkdir -p "$OUT"
log() { echo "== $*" | tee -a "$OUT/run.log"; }
jobs=$(nproc)

log "configure $(date -u +%H:%M:%S)"
prefix=$(python3 -c "import torch;print(torch.utils.cmake_prefix_path)")
cmake -S . -B build-gpu -G Ninja -DCMAKE_BUILD_TYPE=Release -DSVGEN_GUI=OFF -DSVGEN_FFMPEG=OFF \
  -DSVGEN_TESTS=OFF -DCMAKE_PREFIX_PATH="$prefix" -DSVGEN_THIRD_PARTY_INCLUDE="$PWD/.gpu-deps/include" \
  -DCMAKE_CUDA_COMPILER="$(command -v nvcc || echo /usr/local/cuda/bin/nvcc)" >/tmp/configure.log 2>&1 \
  || { cp /tmp/configure.log "$OUT/"; tail -40 /tmp/configure.log; exit 1; }
log "build"
start=$(date +%s)
cmake --build build-gpu -j "$jobs" -- -k 0 >/tmp/build.log 2>&1 \
  || { cp /tmp/build.log "$OUT/"; grep -E "error|Error" /tmp/build.log | head -40; exit 1; }
log "built in $(( $(date +%s) - start )) s"
svgen=build-gpu/bin/svgen

# A random-weight Wan 2.1 1.3B diffusers folder in /tmp/wan13b (our script; about 20 s).
wan_folder() {
  [ -d /tmp/wan13b/vae ] && return
  log "wan 1.3B random folder"
  PYTHONPATH="$PWD/.gpu-deps/diffusers-src/src" python3 tools/fixtures/make_wan_random.py /tmp/wan13b \
    2>&1 | tail -n 8 | tee -a "$OUT/run.log"
  $svgen inspect /tmp/wan13b 2>&1 | tee -a "$OUT/run.log"
}

for task in "$@"; do
  case "$task" in
    info)
      log "info"; $svgen info 2>&1 | tee -a "$OUT/run.log"
      nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.sm,clocks.max.sm --format=csv \
        2>&1 | tee -a "$OUT/run.log" ;;
    selftest)
      # Every CUDA kernel against its LibTorch reference (issue 7's correctness gate).
      log "selftest on cuda"
      $svgen selftest --device cuda 2>&1 | tee -a "$OUT/run.log" "$OUT/selftest.log" | tail -n 3 ;;
    bench-attention)
      # Our block-sparse kernel vs dense SDPA at Wan 2.1 1.3B shapes (480p and 720p, 81 frames).
      log "bench attention on cuda"
      $svgen bench attention --device cuda --quiet 2>&1 | tee -a "$OUT/run.log" "$OUT/bench_attention.log" ;;
    bench-generate)
      # Seconds per forward pass of Wan 2.1 1.3B (random weights) at 480p and 720p, 81 frames.
      log "bench generate on cuda"
      for size in 832x480 1280x720; do
        $svgen bench generate --config wan-1.3b --random-weights --frames 81 --size $size --steps 3 \
          2>&1 | tee -a "$OUT/run.log" "$OUT/bench_generate.log" | grep -v "^bench:"
      done ;;
    bench-phases)
      # Where the attention time of one 720p pass goes, per method (each phase ends with a sync).
      log "bench generate --phases on cuda"
      $svgen bench generate --config wan-1.3b --random-weights --frames 81 --size 1280x720 --steps 3 \
        --methods "${PHASE_METHODS:-dense,svg,svg2,svoo}" --phases \
        2>&1 | tee -a "$OUT/run.log" "$OUT/bench_phases.log" | grep -v "^bench:" ;;
    bench-kernels)
      log "bench kernels on cuda"
      $svgen bench kernels --device cuda 2>&1 | tee -a "$OUT/run.log" "$OUT/bench_kernels.log" ;;
    generate)
      log "generate on cuda and cpu"
      for dev in cuda cpu; do
        $svgen generate --device $dev --prompt "a red circle moving right" --frames 17 --steps 4 --seed 7 \
          --out "/tmp/gen-$dev.y4m" --json >>"$OUT/run.log" 2>&1
        echo "$dev exit $?" | tee -a "$OUT/run.log"
      done ;;
    sparse)
      # Every sparse method on the GPU (bf16: the CUDA block-sparse kernel): quality against dense at the default size and at 4x the tokens.
      log "sparse attention on cuda"
      p="a red circle moving right on a blue background"
      $svgen compare --device cuda --prompt "$p" --quiet 2>&1 | tee -a "$OUT/run.log"
      $svgen compare --device cuda --prompt "$p" --quiet --methods dense,svg --density 0.4 2>&1 | tee -a "$OUT/run.log"
      $svgen compare --device cuda --prompt "$p" --quiet --frames 32 --width 256 --height 256 \
        2>&1 | tee -a "$OUT/run.log"
      $svgen compare --device cuda --prompt "$p" --quiet --frames 32 --width 256 --height 256 \
        --methods dense,svg,svg2 --density 0.3 --top-p 0.8 2>&1 | tee -a "$OUT/run.log" ;;
    eval)
      # The built-in model's prompt adherence (issue 4's numbers): 40 held-in and 20 held-out
      # prompts, one object and the two-object mix.
      log "eval-prompts on cuda"
      $svgen eval-prompts --device cuda --json "$OUT/eval_one.json" 2>&1 | tail -n 12 | tee -a "$OUT/run.log"
      $svgen eval-prompts --device cuda --two-objects --json "$OUT/eval_two.json" 2>&1 | tail -n 12 \
        | tee -a "$OUT/run.log" ;;
    quality)
      # PSNR/SSIM of every method and budget against dense over several prompts (the CPU numbers
      # agree with these to a few tenths of a dB; speed is measured on the CPU, not here).
      log "quality sweep on cuda"
      prompts=("a red circle moving right on a blue background"
               "a yellow star moving left on a purple background"
               "a green square moving up and a white ring moving down on a black background"
               "a pink triangle growing on a gray background"
               "a cyan ring moving down and to the left on a orange background"
               "a blue star spinning on a white background")
      configs=("default|--methods dense,svg,svg2,svoo"
               "svg-0.30|--methods dense,svg --density 0.30"
               "svg-0.40|--methods dense,svg --density 0.40"
               "svg-0.30-layer0|--methods dense,svg --density 0.30 --warmup-layers 1"
               "clusters-32-256-p0.8|--methods dense,svg2,svoo --query-clusters 32 --key-clusters 256 --top-p 0.8"
               "clusters-16-128-p0.7|--methods dense,svg2,svoo --query-clusters 16 --key-clusters 128 --top-p 0.7")
      mkdir -p "$OUT/quality"
      for c in "${configs[@]}"; do
        name=${c%%|*}; args=${c#*|}
        i=0
        for p in "${prompts[@]}"; do
          i=$((i+1))
          $svgen compare --device cuda --prompt "$p" --quiet --json $args >"/tmp/q-$name-$i.json" 2>>"$OUT/run.log"
        done
        python3 - "$name" /tmp/q-"$name"-*.json >>"$OUT/run.log" <<'PY'
import json, sys
name, files = sys.argv[1], sys.argv[2:]
rows = {}
for f in files:
    for r in json.load(open(f))["methods"]:
        rows.setdefault(r["label"], []).append(r)
for label, rs in rows.items():
    n = len(rs)
    avg = lambda k: sum(r[k] for r in rs) / n
    print(f"{name:24s} {label:6s} n={n} sparse_density={avg('sparse_density'):.3f} "
          f"density={avg('density'):.3f} psnr={avg('psnr_db'):.2f} min_psnr={min(r['psnr_db'] for r in rs):.2f} ssim={avg('ssim'):.4f}")
PY
      done
      cp /tmp/q-*.json "$OUT/quality/" 2>/dev/null
      (cd "$OUT" && tar czf quality.tgz quality && rm -r quality) ;;
    train:* | resume:*)
      # Checkpoints stay in build-gpu/train, which a warm machine keeps between calls, so a
      # second call can resume where the first stopped (each call has a 10-minute limit).
      minutes=${task#*:}
      extra=(--decay-start "${DECAY_START:-1}")
      [ "${task%%:*}" = resume ] && extra=(--resume --decay-start "${DECAY_START:-0.6}")
      log "${task%%:*} for $minutes minutes"
      $svgen train --out build-gpu/train --device cuda --minutes "$minutes" --batch "${BATCH:-64}" \
        --lr "${LR:-4e-4}" --noise-levels "${NOISE_LEVELS:-shift}" --loss-sigma-floor "${LOSS_SIGMA_FLOOR:-0.2}" \
        --pure-noise-share "${PURE_NOISE_SHARE:-0.25}" --rollout-share "${ROLLOUT_SHARE:-0}" \
        --shape-swap-share "${SHAPE_SWAP_SHARE:-0}" --shape-swap-min-sigma "${SHAPE_SWAP_MIN_SIGMA:-0.6}" \
        --latent-channels "${LATENT_CHANNELS:-0}" --autoencoder-steps "${AE_STEPS:-3000}" \
        --autoencoder-minutes "${AE_MINUTES:-0}" \
        --position-embedding "${POSITION_EMBEDDING:-sincos}" \
        --log-every 200 --checkpoint-every 1000 "${extra[@]}" 2>&1 | tee -a "$OUT/train.log" | tail -n 4
      cp build-gpu/train/train_log.csv "$OUT/"
      if [ "${FETCH_MODEL:-1}" = 1 ]; then  # FETCH_MODEL=0 leaves it here for a later resume
        mkdir -p "$OUT/model"
        cp build-gpu/train/model/* "$OUT/model/"
        ls -la "$OUT/model" | tee -a "$OUT/run.log"
      fi ;;
    finetune:*)
      # Arms that start from the shipped model (--init-from) for MINUTES each, each scored by
      # eval-prompts at guidance 2; the arm with the best held-in shape accuracy comes back in
      # $OUT/model. ARMS: "name|train options" separated by ";", the options being those that
      # differ between arms (shares, and --lr, else LR or 1e-4). The seed (SEED, 2) differs from
      # the shipped run's, which would replay its first clips.
      minutes=${task#*:}
      rm -rf /tmp/eval-ft  # a warm machine keeps an earlier call's arms
      IFS=';' read -r -a arms <<<"${ARMS:-share-0.25|--lr 1e-4 --pure-noise-share 0.25}"
      for arm in "${arms[@]}"; do
        [[ $arm == *"|"* ]] || { log "finetune: arm \"$arm\" is not name|options"; exit 1; }
        name=$(echo "${arm%%|*}" | tr -d '[:space:]'); args=${arm#*|}
        [[ " $args " == *" --lr "* ]] || args="--lr ${LR:-1e-4} $args"
        dir=build-gpu/ft-$name
        rm -rf "$dir"
        log "finetune from resources/models/builtin for $minutes minutes, arm $name: $args"
        # shellcheck disable=SC2086  # the arm's options split into words
        $svgen train --out "$dir" --device cuda --init-from resources/models/builtin \
          --minutes "$minutes" --batch "${BATCH:-64}" --warmup "${WARMUP:-100}" \
          --decay-start "${DECAY_START:-0.5}" --noise-levels "${NOISE_LEVELS:-shift}" \
          --loss-sigma-floor "${LOSS_SIGMA_FLOOR:-0.2}" $args \
          --seed "${SEED:-2}" --log-every 200 --checkpoint-every 100000 2>&1 \
          | tee -a "$OUT/train.log" | tail -n 3 | tee -a "$OUT/run.log"
        mkdir -p /tmp/eval-ft
        $svgen eval-prompts --device cuda --model "$dir/model" --guidance 2 \
          --json "/tmp/eval-ft/eval_$name.json" 2>&1 | tail -n 8 | tee -a "$OUT/run.log"
        $svgen eval-shape-follow --device cuda --model "$dir/model" --prompts 24 \
          --json "/tmp/eval-ft/shape_follow_$name.json" 2>&1 | tee -a "$OUT/run.log"
      done
      best=$(python3 - <<'PY'
import glob, json
scores = []
for path in glob.glob("/tmp/eval-ft/eval_*.json"):
    s = json.load(open(path))["summary"]["held_in"]
    scores.append((s["shape"]["accuracy"], s["motion"]["accuracy"], path[len("/tmp/eval-ft/eval_"):-5]))
print(max(scores)[2] if scores else "")
PY
)
      [ -n "$best" ] || { log "finetune: no arm was evaluated"; exit 1; }
      log "best arm by held-in shape: $best"
      mkdir -p "$OUT/model"
      cp "build-gpu/ft-$best/model/"* "build-gpu/ft-$best/train_log.csv" "$OUT/model/"
      (cd /tmp/eval-ft && tar czf "$OUT/eval_ft.tgz" .) ;;
    eval-train)
      # The freshly trained model (build-gpu/train/model) at several guidance scales, held-in and
      # held-out prompts: picks the shipped default. GUIDANCES="2 3 4" by default.
      for g in ${GUIDANCES:-2 3 4}; do
        log "eval-prompts on the trained model, guidance $g"
        mkdir -p /tmp/eval-train
        $svgen eval-prompts --device cuda --model build-gpu/train/model --guidance "$g" \
          --json "/tmp/eval-train/eval_g$g.json" 2>&1 | tail -n 8 | tee -a "$OUT/run.log"
      done
      # Whether it draws the prompt's shape from a circle's outline (no sampling; seconds here).
      log "eval-shape-follow on the trained model"
      $svgen eval-shape-follow --device cuda --model build-gpu/train/model --prompts 24 \
        --json /tmp/eval-train/shape_follow.json 2>&1 | tee -a "$OUT/run.log"
      (cd /tmp/eval-train && tar czf "$OUT/eval_train.tgz" .) ;;
    fixtures)
      # Issue 8's reference fixtures from the public implementations (diffusers from its source,
      # carried in .gpu-deps/diffusers-src; transformers and sentencepiece are installed here).
      log "wan fixtures"
      PYTHONPATH="$PWD/.gpu-deps/diffusers-src/src" python3 tools/fixtures/make_wan_fixtures.py \
        /tmp/fixtures 2>&1 | tail -n 40 | tee -a "$OUT/run.log"
      (cd /tmp/fixtures && tar czf "$OUT/wan_fixtures.tgz" .) && ls -la "$OUT/wan_fixtures.tgz" ;;
    wan-parity)
      # Issue 8's full-size check: diffusers/transformers on the random 1.3B folder's own weights,
      # float32 and bf16, against svgen's components (`svgen selftest --wan-reference`).
      wan_folder
      log "wan 1.3B parity reference"
      rm -f /tmp/wan_parity.safetensors  # never check against a stale one
      PYTHONPATH="$PWD/.gpu-deps/diffusers-src/src" python3 tools/fixtures/make_wan_parity.py \
        /tmp/wan13b /tmp/wan_parity.safetensors 2>&1 | grep -v Warning | tail -n 6 | tee -a "$OUT/run.log"
      log "wan 1.3B parity check"
      $svgen selftest --device cuda --model /tmp/wan13b --wan-reference /tmp/wan_parity.safetensors \
        2>&1 | tee -a "$OUT/run.log" ;;
    wan-random)
      # Issue 8 at full size: svgen generate on the random-weight Wan 2.1 1.3B folder, 81 frames,
      # every method (SVOO after `svgen profile`), WAN_SIZES "832x480 1280x720" by default: each
      # stage's time and peak GPU memory, and a 50-step clip time extrapolated from the steps.
      wan_folder
      methods=${WAN_METHODS:-dense svg svg2 svoo}
      if [[ " $methods " == *" svoo "* && ! -f /tmp/wan13b/svoo_profile.json ]]; then
        log "wan 1.3B svoo profile, 480p, ${WAN_STEPS:-4} steps"
        $svgen profile --model /tmp/wan13b --device cuda -p "a cat walks on the grass" \
          -s "${WAN_STEPS:-4}" -q 2>&1 | tail -n 4 | tee -a "$OUT/run.log"
      fi
      rm -rf /tmp/wan-runs && mkdir -p /tmp/wan-runs  # no runs of an earlier call mixed in
      for size in ${WAN_SIZES:-832x480 1280x720}; do
        for method in $methods; do
          log "wan 1.3B $size $method, ${WAN_STEPS:-4} steps"
          $svgen generate --model /tmp/wan13b --device cuda -p "a cat walks on the grass" \
            -s "${WAN_STEPS:-4}" -W "${size%x*}" -H "${size#*x}" --attention "$method" \
            --out "/tmp/wan-$method.y4m" --json -q >"/tmp/wan-runs/$size-$method.json" 2>>"$OUT/run.log"
          echo "exit $?" | tee -a "$OUT/run.log"
          python3 tools/gpu/summarize_wan_runs.py "/tmp/wan-runs/$size-$method.json" 2>&1 | tee -a "$OUT/run.log"
        done
      done
      log "wan 1.3B summary"
      python3 tools/gpu/summarize_wan_runs.py /tmp/wan-runs/*.json 2>&1 | tee -a "$OUT/run.log"
      (cd /tmp/wan-runs && tar czf "$OUT/wan_runs.tgz" .) ;;
    *)
      log "unknown task $task" ;;
  esac
done
log "done $(date -u +%H:%M:%S)"
