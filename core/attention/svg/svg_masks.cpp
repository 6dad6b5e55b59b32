#include "core/attention/svg/svg_masks.h"

#include <algorithm>
#include <cstdlib>
#include <vector>

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

// Token pairs kept by a band of half-width `band` plus the first `sinkBlocks` key blocks, in O(nb)
// from block-size prefix sums. Every term is an integer below 2^53, so the sum is exact.
double keptPairs(const std::vector<int64_t>& prefix, int blocks, int band, int sinkBlocks) {
  auto sizeOf = [&](int from, int to) {  // tokens in blocks [from, to]
    return from > to ? int64_t{0} : prefix[to + 1] - prefix[from];
  };
  double kept = 0;
  for (int i = 0; i < blocks; ++i) {
    const int lo = std::max(0, i - band), hi = std::min(blocks - 1, i + band);
    int64_t keys = sizeOf(lo, hi);
    // The sink [0, sinkBlocks) adds what the band does not already cover.
    keys += sizeOf(0, std::min(sinkBlocks, lo) - 1) + sizeOf(std::max(hi + 1, 0), sinkBlocks - 1);
    kept += static_cast<double>(sizeOf(i, i)) * static_cast<double>(keys);
  }
  return kept;
}

struct Band {
  int band = 0;
  double density = 1.0;
  int blocks = 0;
  int sinkBlocks = 0;
  int64_t tokens = 0;
};

// The widest band whose density (sink included) stays within the budget; at least the diagonal.
Band fitBand(const std::array<int64_t, 3>& grid, int blockSize, double density) {
  Band b;
  const int64_t frameTokens = grid[1] * grid[2];
  b.tokens = grid[0] * frameTokens;
  if (b.tokens <= 0 || blockSize <= 0) return b;
  b.blocks = static_cast<int>((b.tokens + blockSize - 1) / blockSize);
  // Key blocks that start inside the first frame.
  b.sinkBlocks =
      static_cast<int>(std::min<int64_t>(b.blocks, (frameTokens + blockSize - 1) / blockSize));
  std::vector<int64_t> prefix(static_cast<size_t>(b.blocks) + 1, 0);
  for (int i = 0; i < b.blocks; ++i)
    prefix[i + 1] = std::min<int64_t>(b.tokens, int64_t{i + 1} * blockSize);
  const double all = static_cast<double>(b.tokens) * static_cast<double>(b.tokens);
  b.density = keptPairs(prefix, b.blocks, 0, b.sinkBlocks) / all;
  for (int w = 1; w < b.blocks; ++w) {
    const double d = keptPairs(prefix, b.blocks, w, b.sinkBlocks) / all;
    if (d > density + 1e-9) break;
    b.band = w;
    b.density = d;
  }
  return b;
}

}  // namespace

double svgMaskDensity(const std::array<int64_t, 3>& grid, int blockSize, double density) {
  return fitBand(grid, blockSize, density).density;
}

SvgMasks svgMasks(const std::array<int64_t, 3>& grid, int blockSize, double density) {
  const Band b = fitBand(grid, blockSize, density);
  SvgMasks m;
  m.band = b.band;
  BlockTable& t = m.spatial;
  t.tokens = b.tokens;
  t.blockSize = blockSize;
  t.blocks = b.blocks;
  t.keep.assign(static_cast<size_t>(t.blocks) * t.blocks, 0);
  for (int i = 0; i < t.blocks; ++i)
    for (int j = 0; j < t.blocks; ++j)
      t.keep[static_cast<size_t>(i) * t.blocks + j] = std::abs(i - j) <= b.band || j < b.sinkBlocks;
  m.temporal = m.spatial;
  return m;
}

}  // namespace svgen
