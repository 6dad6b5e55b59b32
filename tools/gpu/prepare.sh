#!/usr/bin/env bash
# Copies the header-only libraries (Debian's nlohmann-json3-dev and libcli11-dev) and SentencePiece
# that the GPU machine lacks into .gpu-deps/include, which the device tool carries along (it is git-ignored).
set -euo pipefail
cd "$(dirname "$0")/../.."
mkdir -p .gpu-deps/include
cp -r /usr/include/nlohmann /usr/include/CLI .gpu-deps/include/
# Debian's SentencePiece (header and shared library: it needs only libstdc++) for Wan prompts there.
mkdir -p .gpu-deps/sentencepiece/include .gpu-deps/sentencepiece/lib
cp /usr/include/sentencepiece_processor.h .gpu-deps/sentencepiece/include/
cp -L /usr/lib/x86_64-linux-gnu/libsentencepiece.so /usr/lib/x86_64-linux-gnu/libsentencepiece.so.0 \
  .gpu-deps/sentencepiece/lib/  # files, not links: the device tool carries files
du -sh .gpu-deps
