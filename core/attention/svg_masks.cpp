#include "core/attention/svg_masks.h"

#include <ATen/ATen.h>

#include <algorithm>
#include <cstdlib>

namespace svgen {

double BlockTable::density() const {
  if (tokens == 0) return 1.0;
  auto size = [&](int b) {
    return std::min<int64_t>(tokens, int64_t{b + 1} * blockSize) - int64_t{b} * blockSize;
  };
  double kept = 0;
  for (int i = 0; i < blocks; ++i)
    for (int j = 0; j < blocks; ++j)
      if (at(i, j)) kept += static_cast<double>(size(i)) * size(j);
  return kept / (static_cast<double>(tokens) * tokens);
}

std::vector<int32_t> BlockTable::row(int i) const {
  std::vector<int32_t> r;
  for (int j = 0; j < blocks; ++j)
    if (at(i, j)) r.push_back(j);
  return r;
}

namespace {

BlockTable bandTable(int64_t tokens, int blockSize, int band, int64_t sinkTokens) {
  BlockTable t;
  t.tokens = tokens;
  t.blockSize = blockSize;
  t.blocks = static_cast<int>((tokens + blockSize - 1) / blockSize);
  t.keep.assign(static_cast<size_t>(t.blocks) * t.blocks, 0);
  for (int i = 0; i < t.blocks; ++i)
    for (int j = 0; j < t.blocks; ++j)
      t.keep[static_cast<size_t>(i) * t.blocks + j] =
          std::abs(i - j) <= band || int64_t{j} * blockSize < sinkTokens;
  return t;
}

// The widest band whose table stays within the density budget.
BlockTable fitBand(int64_t tokens, int blockSize, int64_t sinkTokens, double density, int* band) {
  BlockTable best = bandTable(tokens, blockSize, 0, sinkTokens);
  *band = 0;
  for (int b = 1; b < best.blocks; ++b) {
    BlockTable t = bandTable(tokens, blockSize, b, sinkTokens);
    if (t.density() > density + 1e-9) break;
    best = std::move(t);
    *band = b;
  }
  return best;
}

}  // namespace

SvgMasks svgMasks(const std::array<int64_t, 3>& grid, int blockSize, double density) {
  const int64_t frameTokens = grid[1] * grid[2];
  const int64_t tokens = grid[0] * frameTokens;
  SvgMasks m;
  m.spatial = fitBand(tokens, blockSize, frameTokens, density, &m.band);
  m.temporal = m.spatial;
  return m;
}

at::Tensor temporalPermutation(const std::array<int64_t, 3>& grid) {
  const int64_t F = grid[0], S = grid[1] * grid[2];
  // t' = p·F + f holds token f·S + p.
  at::Tensor tp = at::arange(F * S, at::kLong);
  return (tp % F) * S + tp.div(F, "floor");
}

}  // namespace svgen
