// SVG2 (semantic-aware permutation): per-head k-means of queries and keys, tokens permuted so each
// cluster is contiguous, top-p cluster pairs computed as variable-size blocks.
#pragma once
#include "core/attention/clustering/clustered_attention.h"

namespace svgen {

class Svg2Attention : public ClusteredAttention {
 public:
  using ClusteredAttention::ClusteredAttention;

 protected:
  // k-means: 50 iterations from scratch, then 2 from the previous step's centroids (76x cheaper
  // in the paper).
  void cluster(const at::Tensor& q, const at::Tensor& k, int queryClusters, int keyClusters,
               Clustering& queries, Clustering& keys) override;
  void choosePairs(BlockSparsePlan& plan, const Clustering& queries, const Clustering& keys,
                   const AttentionCall& call) override;
  DeviceRows choosePairsOnDevice(const Clustering& queries, const Clustering& keys,
                                 const AttentionCall& call) override;
  const char* name() const override { return "svg2"; }
};

}  // namespace svgen
