#!/usr/bin/env bash
# The README's filmstrip of the built-in model: every third frame of four clips, one row each,
# at the sampling defaults with seed 1. Usage: tools/docs/filmstrip.sh [OUT.png] [MODEL]
set -euo pipefail
cd "$(dirname "$0")/../.."
out=${1:-docs/screenshots/builtin-filmstrip.png}
model=${2:-builtin}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
prompts=("a yellow star moving left on a purple background"
         "a red circle moving down on a blue background"
         "a white triangle moving right on a black background"
         "a cyan square growing on a gray background")
i=0
for p in "${prompts[@]}"; do
  build/bin/svgen generate --model "$model" --prompt "$p" --seed 1 --out "$work/$i.mp4" --quiet
  # Frames 0, 3, ..., 15 side by side, 4 white pixels apart.
  ffmpeg -loglevel error -y -i "$work/$i.mp4" \
    -vf "select='not(mod(n\,3))',tile=6x1:padding=4:color=white" -frames:v 1 "$work/row$i.png"
  i=$((i + 1))
done
ffmpeg -loglevel error -y -i "$work/row0.png" -i "$work/row1.png" -i "$work/row2.png" \
  -i "$work/row3.png" -filter_complex vstack=inputs=4 "$out"
echo "wrote $out"
