#!/usr/bin/env bash
# Checks a LibTorch for building svgen against it (tools/setup.sh does, when SVGEN_TORCH is set)
# and says what it found. DIR is PyTorch's C++ distribution (an unpacked libtorch-*.zip) or the
# torch folder of an installed PyTorch (python3 -c "import torch, os; print(os.path.dirname(torch.__file__))").
# Refuses, exit 2 with the reason: no TorchConfig.cmake; the pre-C++11 string ABI (Debian's Qt and
# FFmpeg use the C++11 one: download the "cxx11 ABI" LibTorch); a CUDA LibTorch whose CUDA major
# differs from the nvcc that would compile svgen's kernels. Prints one line: version, CUDA, ABI.
# Usage: tools/torch_check.sh DIR [NVCC]   (NVCC: default /usr/local/cuda/bin/nvcc, then PATH)
set -uo pipefail
dir=${1:?usage: tools/torch_check.sh DIR [NVCC]}
nvcc=${2:-}
fail() { echo "torch_check: $dir: $*" >&2; exit 2; }

[ -d "$dir" ] || fail "no such folder"
config="$dir/share/cmake/Torch/TorchConfig.cmake"
[ -f "$config" ] || fail "not a LibTorch: no share/cmake/Torch/TorchConfig.cmake (give the unpacked libtorch folder, or an installed PyTorch's torch folder)"

# Version and CUDA: the zip's build-version ("2.11.0+cu130"), else the package's version.py.
version="" cuda=""
if [ -f "$dir/build-version" ]; then
  version=$(head -n 1 "$dir/build-version")
elif [ -f "$dir/version.py" ]; then
  version=$(sed -n "s/^__version__[^=]*= '\(.*\)'.*/\1/p" "$dir/version.py" | head -n 1)
  cuda=$(sed -n "s/^cuda[^=]*= '\(.*\)'.*/\1/p" "$dir/version.py" | head -n 1)
fi
[ -n "$version" ] || version=unknown
if [ -z "$cuda" ]; then
  case "$version" in
    *+cu[0-9]*) digits=${version##*+cu}; cuda="${digits%?}.${digits: -1}" ;;
  esac
fi
has_cuda_lib=0
ls "$dir"/lib/libtorch_cuda.so* >/dev/null 2>&1 && has_cuda_lib=1
[ "$has_cuda_lib" = 1 ] && [ -z "$cuda" ] && cuda=unknown
[ "$has_cuda_lib" = 0 ] && cuda=""

# The string ABI LibTorch was built with, as its CMake config passes it on.
abi=$(grep -o '_GLIBCXX_USE_CXX11_ABI=[01]' "$config" | head -n 1 | cut -d= -f2)
if [ -z "$abi" ]; then
  # Older configs leave it to Caffe2's; the flag is then in TorchConfig's TORCH_CXX_FLAGS there.
  abi=$(grep -rho '_GLIBCXX_USE_CXX11_ABI=[01]' "$dir/share/cmake" 2>/dev/null | head -n 1 | cut -d= -f2)
fi
[ "$abi" = 0 ] && fail "LibTorch $version uses the pre-C++11 string ABI, which Debian's Qt and FFmpeg libraries cannot share: download the \"cxx11 ABI\" LibTorch instead"
abi_text="C++11 ABI"
[ -z "$abi" ] && abi_text="string ABI not stated in its CMake files (the C++11 one is assumed)"

if [ -n "$cuda" ]; then
  if [ -z "$nvcc" ]; then
    if [ -x /usr/local/cuda/bin/nvcc ]; then nvcc=/usr/local/cuda/bin/nvcc; else nvcc=$(command -v nvcc || true); fi
  fi
  [ -n "$nvcc" ] && [ -x "$nvcc" ] || fail "LibTorch $version is built for CUDA $cuda, but no nvcc was found to compile svgen's kernels (install the CUDA toolkit $cuda, or put its nvcc at /usr/local/cuda/bin)"
  have=$("$nvcc" --version | sed -n 's/.*release \([0-9][0-9]*\.[0-9]*\).*/\1/p' | head -n 1)
  if [ "$cuda" != unknown ] && [ "${have%%.*}" != "${cuda%%.*}" ]; then
    fail "LibTorch $version is built for CUDA $cuda but $nvcc is CUDA $have: use a CUDA ${cuda%%.*} toolkit, or the LibTorch built for CUDA ${have%%.*}"
  fi
  echo "LibTorch $version at $dir: CUDA $cuda (kernels by $nvcc, CUDA $have), $abi_text"
else
  echo "LibTorch $version at $dir: CPU only (the studio builds; it runs on the CPU), $abi_text"
fi
