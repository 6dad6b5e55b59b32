#include "core/model/tile_blend.h"

#include <ATen/ATen.h>

#include <algorithm>

namespace svgen {

void blendInto(const at::Tensor& a, at::Tensor& b, int64_t dim, int64_t extent) {
  extent = std::min({extent, a.size(dim), b.size(dim)});
  for (int64_t y = 0; y < extent; ++y) {
    const double w = static_cast<double>(y) / extent;
    b.select(dim, y).copy_(a.select(dim, a.size(dim) - extent + y) * (1 - w) +
                           b.select(dim, y) * w);
  }
}

at::Tensor stitchTiles(std::vector<std::vector<at::Tensor>>& tiles, int64_t stride, int64_t blend) {
  std::vector<at::Tensor> bands;
  for (size_t r = 0; r < tiles.size(); ++r) {
    std::vector<at::Tensor> row;
    for (size_t c = 0; c < tiles[r].size(); ++c) {
      at::Tensor& t = tiles[r][c];
      // In place, so the next row and column blend with this tile as blended (as diffusers does).
      if (r > 0) blendInto(tiles[r - 1][c], t, 3, blend);
      if (c > 0) blendInto(tiles[r][c - 1], t, 4, blend);
      row.push_back(
          t.narrow(3, 0, std::min(stride, t.size(3))).narrow(4, 0, std::min(stride, t.size(4))));
    }
    bands.push_back(at::cat(row, 4));
  }
  return at::cat(bands, 3);
}

}  // namespace svgen
