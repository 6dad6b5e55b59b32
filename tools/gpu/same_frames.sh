#!/usr/bin/env bash
# On the GPU machine: does this tree draw the same frames as an earlier one, method by method, on
# CUDA and on the CPU? For refactors that promise bit-identical clips (test_frame_hashes pins the
# CPU side in CI; this is the CUDA side). Prepare on the dev machine:
#   tools/gpu/prepare.sh
#   mkdir -p .base && git archive REV | tar -x -C .base --exclude=resources/models \
#       --exclude=tests/fixtures --exclude=docs      (.base is listed in .git/info/exclude)
# then call through the device tool with carry [".gpu-deps", ".base"]:
#   bash tools/gpu/same_frames.sh .base
# Both trees run the built-in model of this tree. Prints one line per method and device and exits
# 1 when any clip differs.
set -uo pipefail
base=${1:?usage: same_frames.sh BASE_TREE}
OUT=${OUT:-/tmp/svgen-out}
mkdir -p "$OUT"
prefix=$(python3 -c "import torch;print(torch.utils.cmake_prefix_path)")
build() {  # tree build-dir
  cmake -S "$1" -B "$2" -G Ninja -DCMAKE_BUILD_TYPE=Release -DSVGEN_GUI=OFF -DSVGEN_FFMPEG=OFF \
    -DSVGEN_TESTS=OFF -DCMAKE_PREFIX_PATH="$prefix" \
    -DSVGEN_THIRD_PARTY_INCLUDE="$PWD/.gpu-deps/include" \
    -DCMAKE_CUDA_COMPILER="$(command -v nvcc || echo /usr/local/cuda/bin/nvcc)" >"$OUT/configure-$(basename "$2").log" 2>&1 &&
    cmake --build "$2" -j "$(nproc)" >"$OUT/build-$(basename "$2").log" 2>&1
}
build "$base" /tmp/build-base || { tail -30 "$OUT/build-build-base.log"; exit 1; }
build . build-gpu || { grep -E "error" "$OUT/build-build-gpu.log" | head -30; exit 1; }
model="$PWD/resources/models/builtin"
prompt="a yellow star moving left on a purple background"
status=0
for device in cuda cpu; do
  for method in dense svg svg2 svoo; do
    for tree in base new; do
      bin=build-gpu/bin/svgen
      [ "$tree" = base ] && bin=/tmp/build-base/bin/svgen
      "$bin" generate --model "$model" --device "$device" --prompt "$prompt" --steps 6 \
        --seed 3 --attention "$method" --warmup 0.34 --quiet --out "/tmp/$tree-$device-$method.y4m" \
        >>"$OUT/same_frames.log" 2>&1 || echo "$tree $device $method: exit $?"
    done
    a=$(sha256sum <"/tmp/base-$device-$method.y4m" | cut -c1-16)
    b=$(sha256sum <"/tmp/new-$device-$method.y4m" | cut -c1-16)
    verdict=same
    [ "$a" = "$b" ] || { verdict=DIFFERENT; status=1; }
    echo "$device $method: base $a new $b $verdict" | tee -a "$OUT/same_frames.log"
  done
done
exit $status
