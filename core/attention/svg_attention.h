// SVG (Sparse VideoGen): every head is either spatial (attends within nearby frames) or temporal
// (attends to the same positions across frames). Per step and layer, sampled query rows are
// attended exactly and under both masks; each head takes the mask with the lower error.
#pragma once
#include "core/attention/sparse_attention.h"

#include <vector>

namespace svgen {

struct SvgMasks;

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
};

}  // namespace svgen
