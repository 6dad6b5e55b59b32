#!/bin/bash
# tools/torch_check.sh, which tools/setup.sh runs on SVGEN_TORCH before building against it, on
# fake LibTorch folders: the zip's layout and an installed PyTorch's, CPU and CUDA, and each
# refusal (not a LibTorch, the pre-C++11 ABI, CUDA without nvcc or of another major).
# Usage: setup_torch_check.sh SOURCE_DIR WORKDIR
set -u
check=$(realpath "$1")/tools/torch_check.sh
work=$2
rm -rf "$work" && mkdir -p "$work" && cd "$work" || exit 1
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }

# fake_torch DIR ABI [VERSION-FILE-LINE...]: TorchConfig with that ABI flag.
fake_torch() {
  mkdir -p "$1/share/cmake/Torch" "$1/lib"
  echo "set(TORCH_CXX_FLAGS \"-D_GLIBCXX_USE_CXX11_ABI=$2\")" >"$1/share/cmake/Torch/TorchConfig.cmake"
}
fake_nvcc() {  # fake_nvcc PATH RELEASE
  printf '#!/bin/sh\necho "Cuda compilation tools, release %s, V%s.0"\n' "$2" "$2" >"$1"
  chmod +x "$1"
}
expect() {  # expect CODE WORDS... -- ARGS...
  local code=$1; shift
  local words=()
  while [ "$1" != -- ]; do words+=("$1"); shift; done
  shift
  out=$("$check" "$@" 2>&1); got=$?
  [ "$got" = "$code" ] || fail "$*: exit $got, want $code: $out"
  for w in "${words[@]}"; do
    case "$out" in *"$w"*) ;; *) fail "$*: no '$w' in: $out" ;; esac
  done
}

fake_nvcc nvcc13 13.0
fake_nvcc nvcc12 12.4

# The zip: build-version, libtorch_cuda.so.
fake_torch zip 1
echo "2.11.0+cu130" >zip/build-version
touch zip/lib/libtorch_cuda.so
expect 0 "LibTorch 2.11.0+cu130" "CUDA 13.0" "CUDA 13.0)" -- zip ./nvcc13
expect 2 "CUDA 13.0" "CUDA 12.4" "use a CUDA 13 toolkit" -- zip ./nvcc12
expect 2 "no nvcc was found" -- zip ./missing-nvcc

# An installed PyTorch: version.py with its cuda line.
fake_torch site 1
printf "__version__ = '2.11.0+cu130'\ndebug = False\ncuda: Optional[str] = '13.0'\n" >site/version.py
touch site/lib/libtorch_cuda.so
expect 0 "LibTorch 2.11.0+cu130" "CUDA 13.0" -- site ./nvcc13

# CPU only: builds, and says it runs on the CPU.
fake_torch cpu 1
echo "2.11.0+cpu" >cpu/build-version
expect 0 "CPU only" -- cpu

# A config that states no ABI: accepted, and said so.
mkdir -p quiet/share/cmake/Torch
echo "# no flags" >quiet/share/cmake/Torch/TorchConfig.cmake
echo "2.11.0+cpu" >quiet/build-version
expect 0 "CPU only" "not stated" -- quiet

# Refusals.
fake_torch old 0
echo "2.11.0+cpu" >old/build-version
expect 2 "pre-C++11" "cxx11 ABI" -- old
mkdir -p empty
expect 2 "not a LibTorch" "TorchConfig.cmake" -- empty
expect 2 "no such folder" -- nowhere

[ $failures = 0 ] && echo "torch_check: all cases as expected"
exit $failures
