// Random Wan weights whose self-attention heads attend the way published analyses of trained video
// DiTs describe (SVG's paper on Wan 2.1 and HunyuanVideo): spatial heads (the same frame and its
// neighbours, locally), temporal heads (the same place in every frame) and content heads (a
// compact region of space-time, which k-means can cluster). Random weights otherwise attend
// almost uniformly, so SVG2's and SVOO's budget rules keep most of the work and their speed at
// their own settings cannot be seen. For speed runs only: never quote quality from them.
//
// How: each head's q and k become one constant pattern plus a little token-dependent noise
// (the bias carries the pattern, the random projection is scaled down). After RoPE the score of
// two tokens then depends on their offset in frames, rows and columns alone, through the pair
// frequencies the pattern weights; RMSNorm's weight sets how sharp it is, calibrated so the
// centre query of a reference grid needs a chosen fraction (10–25%) of the keys for 95% of its
// attention.
#pragma once
#include "core/io/tensor_map.h"
#include "core/model/wan_config.h"

#include <array>
#include <cstdint>
#include <string>
#include <vector>

namespace svgen {

enum class HeadKind { Spatial, Temporal, Content };
const char* headKindName(HeadKind kind);

struct StructuredHead {
  HeadKind kind = HeadKind::Spatial;
  // Of the keys holding 95% of the centre query's attention on the reference grid: drawn from
  // 10–25%, or the least the kind reaches at the sharpest scale used.
  double targetFraction = 0;
  double sharpness = 0;  // the score scale that reaches it
};

struct StructuredAttention {
  std::array<int64_t, 3> referenceGrid{};  // tokens along frames, rows, columns
  std::vector<std::vector<StructuredHead>> layers;
};

// Wan 2.1 720p, 81 frames: the grid the sharpness is calibrated on.
constexpr std::array<int64_t, 3> kStructuredReferenceGrid = {21, 45, 80};

// Rewrites the self-attention q/k projections, biases and norm weights of `weights` (original
// Wan names, as initWanWeights makes them) in place. Seeded: the same seed, the same heads.
StructuredAttention structureAttention(
    TensorMap& weights, const WanConfig& config, uint64_t seed,
    const std::array<int64_t, 3>& referenceGrid = kStructuredReferenceGrid);

// The weights structureAttention rewrites, by name.
std::vector<std::string> structuredAttentionWeightNames(const WanConfig& config);

// The smallest fraction of the grid's keys holding `mass` of the centre query's attention for a
// head of `kind` at score scale `sharpness` (the noise-free pattern): what calibration solves.
double centreKeyFraction(HeadKind kind, int headDim, double sharpness,
                         const std::array<int64_t, 3>& grid, double mass = 0.95);

}  // namespace svgen
