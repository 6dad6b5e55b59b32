#!/usr/bin/env bash
# CI: a second build with clang, AddressSanitizer and UndefinedBehaviorSanitizer (any finding is
# fatal), in BUILD_DIR (default build-asan). Runs the core tests and the CLI tests in it, then each
# libFuzzer target for a bounded number of inputs from its committed corpus (tests/fuzz/). The
# studio's Qt widgets are not built here; the studio's history parser is fuzzed on its own.
set -euo pipefail
cd "$(dirname "$0")/../.."
build=${BUILD_DIR:-build-asan}
runs=${SVGEN_FUZZ_RUNS:-50000}

echo "== sanitizers: configuring ($build)"
CC=clang CXX=clang++ cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DSVGEN_CUDA=OFF \
  -DSVGEN_GUI=OFF -DSVGEN_SANITIZE=address,undefined -DSVGEN_FUZZ=ON -DSVGEN_FUZZ_RUNS="$runs" \
  >/dev/null
echo "== sanitizers: building"
cmake --build "$build" -j "$(nproc)"

# Leaks are checked too, except inside LibTorch's and OpenBLAS's own one-time allocations.
export LSAN_OPTIONS="suppressions=$PWD/tests/fuzz/lsan.supp:print_suppressions=0"
export ASAN_OPTIONS="abort_on_error=1:detect_stack_use_after_return=1"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
cd "$build"
echo "== sanitizers: core and CLI tests"
ctest --output-on-failure -j 1 --timeout 2400 -LE fuzz
echo "== sanitizers: fuzzing ($runs inputs a target)"
ctest --output-on-failure -j 1 -L fuzz
