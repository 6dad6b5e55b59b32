// SVG2 (semantic-aware permutation): per-head k-means of queries and keys, tokens permuted so each
// cluster is contiguous, top-p cluster pairs computed as variable-size blocks.
#pragma once
#include "core/attention/sparse_attention.h"

#include <map>

namespace svgen {

class Svg2Attention : public SparseAttention {
 public:
  using SparseAttention::SparseAttention;

 protected:
  at::Tensor sparse(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v,
                    const AttentionCall& call) override;

 private:
  // Centroids of the previous sparse step per layer: the warm start (76x cheaper in the paper).
  struct Centroids {
    at::Tensor query, key;
  };
  std::map<int, Centroids> cache_;
};

}  // namespace svgen
