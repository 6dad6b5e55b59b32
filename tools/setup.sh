#!/usr/bin/env bash
# One-command set-up on Debian 12 as root (or with sudo):
#   tools/setup.sh studio   install dependencies, build, start the studio on the built-in model
#   tools/setup.sh test     install dependencies, build, run every test with ctest
#   tools/setup.sh build    install dependencies and build only
# Environment: BUILD_DIR (default build), SVGEN_SKIP_APT=1 to skip the package step,
# SVGEN_TORCH=DIR to build against that LibTorch instead of Debian's (a CUDA one, to run on an
# NVIDIA GPU: PyTorch's C++ download with the cxx11 ABI, or an installed PyTorch's torch folder;
# tools/torch_check.sh checks it first and says what it found),
# SVGEN_DEBIAN_CUDA=1 to compile the CUDA kernels with Debian's CUDA toolkit (11.8, non-free; what
# CI does, so that every kernel compiles on every change; no GPU is needed to compile).
set -euo pipefail
mode=${1:-studio}
# A relative SVGEN_TORCH is the caller's, not the repository's.
if [ -n "${SVGEN_TORCH:-}" ] && [ -d "$SVGEN_TORCH" ]; then SVGEN_TORCH=$(cd "$SVGEN_TORCH" && pwd); fi
cd "$(dirname "$0")/.."
build=${BUILD_DIR:-build}

packages=(cmake ninja-build g++ pkg-config ccache
  qt6-base-dev libqt6opengl6-dev qt6-svg-dev libqcustomplot-dev libqcustomplot2.1-qt6
  libtorch-dev libopenblas0-openmp
  libavcodec-dev libavformat-dev libavutil-dev libswscale-dev ffmpeg
  nlohmann-json3-dev libcli11-dev libpng-dev libsentencepiece-dev libicu-dev
  xvfb xauth imagemagick
  clang libclang-rt-14-dev dpkg-dev desktop-file-utils appstream)

torch_args=()
if [ -n "${SVGEN_TORCH:-}" ]; then
  echo "== checking SVGEN_TORCH"
  bash tools/torch_check.sh "$SVGEN_TORCH" || exit 2
  torch_args=(-DTorch_DIR="$SVGEN_TORCH/share/cmake/Torch")
  # A build folder configured with another LibTorch caches its libraries too (not only
  # Torch_DIR): it is configured afresh rather than mixing the two.
  cached=$(sed -n 's/^Torch_DIR:PATH=//p' "$build/CMakeCache.txt" 2>/dev/null || true)
  if [ -n "$cached" ] && [ "$cached" != "$SVGEN_TORCH/share/cmake/Torch" ]; then
    echo "== $build was configured with the LibTorch at $cached: configuring it afresh"
    rm -f "$build/CMakeCache.txt"
  fi
  # Debian's LibTorch is not installed.
  kept=()
  for p in "${packages[@]}"; do [ "$p" = libtorch-dev ] || kept+=("$p"); done
  packages=("${kept[@]}")
fi

sudo=""
[ "$(id -u)" -eq 0 ] || sudo=sudo
debian_cuda=0
if [ "${SVGEN_DEBIAN_CUDA:-0}" = 1 ] && [ ! -x /usr/local/cuda/bin/nvcc ]; then
  debian_cuda=1
  packages+=(nvidia-cuda-toolkit g++-11)
  if [ "${SVGEN_SKIP_APT:-0}" != 1 ] && ! grep -rqs "non-free" /etc/apt/sources.list /etc/apt/sources.list.d; then
    printf 'Types: deb\nURIs: http://deb.debian.org/debian\nSuites: bookworm\nComponents: contrib non-free\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' \
      | $sudo tee /etc/apt/sources.list.d/svgen-debian-nonfree.sources >/dev/null
  fi
fi

if [ "${SVGEN_SKIP_APT:-0}" != 1 ]; then
  missing=$(dpkg-query -W -f='${Status} ${Package}\n' "${packages[@]}" 2>/dev/null | grep -v '^install ok installed' | awk '{print $NF}' || true)
  # dpkg-query prints nothing for packages it has never heard of: compare counts too.
  installed=$(dpkg-query -W -f='${Status}\n' "${packages[@]}" 2>/dev/null | grep -c '^install ok installed' || true)
  if [ -n "$missing" ] || [ "$installed" -lt "${#packages[@]}" ]; then
    echo "== installing Debian packages"
    $sudo apt-get update
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y --no-install-recommends "${packages[@]}"
  fi
fi

cuda_args=()
if [ -x /usr/local/cuda/bin/nvcc ]; then
  cuda_args=(-DCMAKE_CUDA_COMPILER=/usr/local/cuda/bin/nvcc)
elif [ "$debian_cuda" = 1 ] && [ -x /usr/bin/nvcc ]; then
  # nvcc 11.8 accepts GCC up to 11 as the host compiler; the rest of the project uses the default.
  cuda_args=(-DCMAKE_CUDA_COMPILER=/usr/bin/nvcc -DCMAKE_CUDA_HOST_COMPILER=g++-11)
fi
echo "== configuring ($build)"
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release "${cuda_args[@]}" "${torch_args[@]}"
echo "== building"
cmake --build "$build" -j "$(nproc)"

case "$mode" in
  build) ;;
  test)
    echo "== testing"
    cd "$build"
    ctest --output-on-failure -j 1 --timeout 1200
    ;;
  studio)
    echo "== starting the studio"
    if [ -z "${DISPLAY:-}" ] && [ -z "${WAYLAND_DISPLAY:-}" ]; then
      echo "no display found: running under a virtual X server (xvfb-run); close with Ctrl+C"
      exec xvfb-run -a -s "-screen 0 1600x1000x24" "$build/bin/svgen-studio"
    fi
    exec "$build/bin/svgen-studio"
    ;;
  *)
    echo "usage: tools/setup.sh studio|test|build" >&2
    exit 2
    ;;
esac
