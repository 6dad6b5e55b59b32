#!/bin/bash
# The three minimal damaged checkpoints of issue 23 (a zero patch dimension, a shape nested
# 100,000 deep, 100,000 tensors): `inspect` and `generate --model` each give exit 2 with the file
# named, in under a second past the program's start (before: SIGFPE, SIGSEGV, 124 s).
# Usage: cli_damaged_files.sh SVGEN WORKDIR
source "$(dirname "${BASH_SOURCE[0]}")/cli_test_lib.sh"

# A safetensors file: 8-byte little-endian header length, then the header.
write_safetensors() {
  local file=$1 header=$2
  local n=${#header}
  printf "$(printf '\\x%02x\\x%02x\\x%02x\\x%02x\\x00\\x00\\x00\\x00' \
    $((n & 255)) $(((n >> 8) & 255)) $(((n >> 16) & 255)) $(((n >> 24) & 255)))" >"$file"
  printf '%s' "$header" >>"$file"
}

write_safetensors zero.safetensors \
  '{"patch_embedding.weight":{"dtype":"F32","shape":[1,1,0,1,1],"data_offsets":[0,0]}}'
open=$(head -c 100000 /dev/zero | tr '\0' '[')
close=$(head -c 100000 /dev/zero | tr '\0' ']')
write_safetensors deep.safetensors "{\"a\":{\"dtype\":\"F32\",\"shape\":${open}${close},\"data_offsets\":[0,0]}}"
many=$(seq 1 100000 | sed 's/.*/"t&":{"dtype":"F32","shape":[0],"data_offsets":[0,0]}/' | paste -sd,)
write_safetensors many.safetensors "{${many}}"

# LibTorch alone takes about half a second to load: the budget is a second past that.
start=$(date +%s%N)
$svgen --version >/dev/null
startup=$(( ($(date +%s%N) - start) / 1000000 ))

for file in zero deep many; do
  for command in "inspect $file.safetensors" \
                 "generate --model $file.safetensors --prompt a --out $file.y4m"; do
    start=$(date +%s%N)
    $svgen $command >out.txt 2>err.txt
    code=$?
    ms=$(( ($(date +%s%N) - start) / 1000000 ))
    [ $code = 2 ] || fail "$command: exit $code, want 2: $(cat err.txt)"
    grep -q "$file.safetensors" err.txt || fail "$command: the file is not named: $(cat err.txt)"
    (( ms < 1000 + startup )) || fail "$command took $ms ms (starting svgen takes $startup ms)"
  done
done

[ $failures = 0 ] && echo "all damaged files refused"
exit $failures
