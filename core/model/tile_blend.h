// Joining overlapping pieces of a decoded video the way diffusers' VAEs do: each piece's first
// rows, columns or frames fade in linearly over its neighbour's last ones, in place and in reading
// order (so a piece blends with its neighbours as already blended). Wan's tiled decode and
// HunyuanVideo's windows and tiles share it.
#pragma once
#include <ATen/core/Tensor.h>

#include <cstdint>
#include <vector>

namespace svgen {

// `b`'s first `extent` entries along `dim` fade in over `a`'s last ones (extent is cut to what
// both have).
void blendInto(const at::Tensor& a, at::Tensor& b, int64_t dim, int64_t extent);

// Decoded tiles (B, C, T, h, w) of a grid, each starting `stride` pixels after the one before it,
// joined into one frame: every tile's first `blend` rows and columns fade in linearly over its
// upper and left neighbours', then each is cut to stride × stride (the last ones to what they
// have). Blends in place, row by row, as diffusers' tiled_decode does.
at::Tensor stitchTiles(std::vector<std::vector<at::Tensor>>& tiles, int64_t stride, int64_t blend);

}  // namespace svgen
