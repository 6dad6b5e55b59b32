// SVG (Sparse VideoGen): every head is either spatial (attends within nearby frames) or temporal
// (attends to the same positions across frames). Per step and layer, sampled query rows are
// attended exactly and under both masks; each head takes the mask with the lower error.
#pragma once
#include "core/attention/sparse_attention.h"
#include "core/attention/svg/svg_masks.h"

#include <map>
#include <memory>
#include <vector>

namespace svgen {

// The layout transform: perm[t'] = t, the frame-major token at position-major index t'.
at::Tensor temporalPermutation(const std::array<int64_t, 3>& grid);

// Per head: the sampled-row MSE under each mask and the choice.
struct SvgProfile {
  std::vector<double> spatialError, temporalError;
  std::vector<bool> temporal;
};

// What profiling needs that depends only on the grid and the masks: the sampled rows (spread
// evenly over the sequence) and each mask's token mask over them (n, L), on `device`.
struct SvgProfileRows {
  at::Tensor rows;               // (n,) int64
  at::Tensor spatial, temporal;  // (n, L) bool
};
SvgProfileRows svgProfileRows(const std::array<int64_t, 3>& grid, const SvgMasks& masks, int rows,
                              const at::Device& device);

// q, k, v: (heads, L, d) frame-major. `rows` query rows spread evenly over the sequence.
SvgProfile profileSvgHeads(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v,
                           const std::array<int64_t, 3>& grid, const SvgMasks& masks, int rows);
SvgProfile profileSvgHeads(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v,
                           const SvgProfileRows& rows);

class SvgAttention : public SparseAttention {
 public:
  using SparseAttention::SparseAttention;
  static constexpr int kProfileRows = 64;

 protected:
  at::Tensor sparse(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v,
                    const AttentionCall& call) override;

 private:
  // Everything that depends only on the grid and budget (masks, their rows as lists, the
  // profiling masks, their device copies): built once per clip, not per call.
  struct GridCache;
  std::shared_ptr<GridCache> cache_;
  // Per layer: the last profile and the step it was taken at (svg::profileEvery).
  struct LastProfile {
    int step = -1, numSteps = 0;
    SvgProfile profile;
  };
  std::map<int, LastProfile> lastProfile_;
  const SvgProfile& profileFor(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v,
                               const AttentionCall& call, const SvgProfileRows& rows);
  const GridCache& gridCache(const std::array<int64_t, 3>& grid, int64_t heads,
                             const at::Device& device);
};

}  // namespace svgen
