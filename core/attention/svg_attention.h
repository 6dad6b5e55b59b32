// SVG (Sparse VideoGen): every head is either spatial (attends within nearby frames) or temporal
// (attends to the same positions across frames). Per step and layer, sampled query rows are
// attended exactly and under both masks; each head takes the mask with the lower error.
#pragma once
#include "core/attention/sparse_attention.h"
#include "core/attention/svg_masks.h"

#include <vector>

namespace svgen {

// The layout transform: perm[t'] = t, the frame-major token at position-major index t'.
at::Tensor temporalPermutation(const std::array<int64_t, 3>& grid);

// Per head: the sampled-row MSE under each mask and the choice.
struct SvgProfile {
  std::vector<double> spatialError, temporalError;
  std::vector<bool> temporal;
};

// q, k, v: (heads, L, d) frame-major. `rows` query rows spread evenly over the sequence.
SvgProfile profileSvgHeads(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v,
                           const std::array<int64_t, 3>& grid, const SvgMasks& masks, int rows);

class SvgAttention : public SparseAttention {
 public:
  using SparseAttention::SparseAttention;
  static constexpr int kProfileRows = 64;

 protected:
  at::Tensor sparse(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v,
                    const AttentionCall& call) override;

 private:
  // The masks depend only on the grid and budget: built once per clip, not per call.
  std::array<int64_t, 3> maskGrid_ = {0, 0, 0};
  SvgMasks masks_;
};

}  // namespace svgen
