#!/usr/bin/env bash
# One-command set-up on Debian 12 as root (or with sudo):
#   tools/setup.sh studio   install dependencies, build, start the studio on the built-in model
#   tools/setup.sh test     install dependencies, build, run every test with ctest
#   tools/setup.sh build    install dependencies and build only
# Environment: BUILD_DIR (default build), SVGEN_SKIP_APT=1 to skip the package step.
set -euo pipefail
mode=${1:-studio}
cd "$(dirname "$0")/.."
build=${BUILD_DIR:-build}

packages=(cmake ninja-build g++ pkg-config ccache
  qt6-base-dev libqt6opengl6-dev qt6-svg-dev libqcustomplot-dev libqcustomplot2.1-qt6
  libtorch-dev libopenblas0-openmp
  libavcodec-dev libavformat-dev libavutil-dev libswscale-dev ffmpeg
  nlohmann-json3-dev libcli11-dev libpng-dev
  xvfb xauth imagemagick)

if [ "${SVGEN_SKIP_APT:-0}" != 1 ]; then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo=sudo
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
[ -x /usr/local/cuda/bin/nvcc ] && cuda_args=(-DCMAKE_CUDA_COMPILER=/usr/local/cuda/bin/nvcc)
echo "== configuring ($build)"
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release "${cuda_args[@]}"
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
