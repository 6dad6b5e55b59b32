// SVOO: the per-layer budget comes from the offline profile; queries and keys are clustered
// together online (bidirectional co-clustering), so key clusters group keys that the same query
// clusters attend to, and query clusters group queries that attend to the same key clusters.
#pragma once
#include "core/attention/clustering/clustered_attention.h"
#include "core/attention/svoo/svoo_profile.h"

namespace svgen {

// Co-clusters q, k (heads, L, d) from the centroids in `queries` and `keys`, for `iterations`
// rounds (at least one): a key's profile is its similarity to every query centroid; each key joins
// the key cluster whose centroid's profile is closest in cosine, and key centroids become their
// members' means; then the same for queries against the new key centroids. Fills labels and sizes.
void coCluster(const at::Tensor& q, const at::Tensor& k, Clustering& queries, Clustering& keys,
               int iterations);

class SvooAttention : public ClusteredAttention {
 public:
  SvooAttention(const AttentionConfig& config, SvooProfile profile)
      : ClusteredAttention(config), profile_(std::move(profile)) {}
  const SvooProfile& profile() const { return profile_; }

 protected:
  // Seeds: the previous step's centroids of this layer, else evenly spaced tokens; then
  // coclusterIterations rounds of coCluster.
  void cluster(const at::Tensor& q, const at::Tensor& k, int queryClusters, int keyClusters,
               Clustering& queries, Clustering& keys) override;
  // Top-p of the centroid mass and at least the layer's key fraction from the profile.
  void choosePairs(BlockSparsePlan& plan, const Clustering& queries, const Clustering& keys,
                   const AttentionCall& call) override;
  DeviceRows choosePairsOnDevice(const Clustering& queries, const Clustering& keys,
                                 const AttentionCall& call) override;
  const char* name() const override { return "svoo"; }

 private:
  SvooProfile profile_;
};

}  // namespace svgen
