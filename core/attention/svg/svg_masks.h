// SVG's block masks and the layout transform of temporal heads. Tokens are frame-major
// (t = f·S + p, S tokens per frame). Spatial heads keep a band of blocks around the diagonal in
// that order plus the blocks of the first S tokens (the first frame: the attention sink). Temporal
// heads are first permuted to position-major order (t' = p·F + f), where "the same positions in
// every frame" becomes the same band, and apply the same table there (as SVG's code does, so
// their sink is the first S/F positions of every frame).
#pragma once
// No LibTorch here: the studio includes it for its estimate.
#include <array>
#include <cstdint>
#include <vector>

namespace svgen {

// Which key blocks each query block keeps: nb × nb, row-major.
struct BlockTable {
  int blocks = 0;
  int blockSize = 0;
  int64_t tokens = 0;
  std::vector<uint8_t> keep;
  bool at(int i, int j) const { return keep[static_cast<size_t>(i) * blocks + j] != 0; }
  // Fraction of token pairs kept (partial last block weighted by its size).
  double density() const;
  // Key blocks of query block i, ascending.
  std::vector<int32_t> row(int i) const;
};

struct SvgMasks {
  BlockTable spatial;   // in frame-major order
  BlockTable temporal;  // in position-major order
  int band = 0;         // half-width in blocks
};

// Masks over grid (F, H, W) with blocks of `blockSize` tokens. The band is the widest whose
// density (sink included) does not exceed `density`, at least the diagonal: SVG's
// w = N(1 − √(1 − s)) sized in whole blocks, so the density computed never exceeds the budget
// except where the diagonal and sink alone do.
SvgMasks svgMasks(const std::array<int64_t, 3>& grid, int blockSize, double density);

// The density svgMasks(grid, blockSize, density) has, in O(blocks · band) without building the
// table: what the studio shows before a run.
double svgMaskDensity(const std::array<int64_t, 3>& grid, int blockSize, double density);

}  // namespace svgen
