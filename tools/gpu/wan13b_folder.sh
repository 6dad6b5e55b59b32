#!/usr/bin/env bash
# On the GPU machine: the random-weight Wan 2.1 1.3B diffusers folder the probes run generate on,
# made once in /tmp/wan13b by our tools/fixtures/make_wan_random.py (diffusers from
# .gpu-deps/issue21-diffusers.zip, unpacked on first use). Appends what it did to the log in $1.
set -uo pipefail
log=${1:-/dev/null}
if [ ! -d .gpu-deps/diffusers-src/src/diffusers ] && [ -f .gpu-deps/issue21-diffusers.zip ]; then
  mkdir -p .gpu-deps/diffusers-src/src
  python3 -m zipfile -e .gpu-deps/issue21-diffusers.zip .gpu-deps/diffusers-src/src/
fi
if [ ! -d /tmp/wan13b/vae ]; then
  echo "== wan 1.3B random folder ($(date -u +%H:%M:%S))" | tee -a "$log"
  PYTHONPATH="$PWD/.gpu-deps/diffusers-src/src" python3 tools/fixtures/make_wan_random.py \
    /tmp/wan13b 2>&1 | tail -n 4 | tee -a "$log"
fi
