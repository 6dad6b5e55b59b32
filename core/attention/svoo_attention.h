// SVOO: the per-layer budget comes from the offline profile; queries and keys are clustered
// together online (bidirectional co-clustering), so key clusters group keys that the same query
// clusters attend to, and query clusters group queries that attend to the same key clusters.
#pragma once
#include "core/attention/sparse_attention.h"
#include "core/attention/svoo_profile.h"

#include <map>

namespace svgen {

struct Clustering;

// Co-clusters q, k (heads, L, d) from the centroids in `queries` and `keys`, for `iterations`
// rounds (at least one): a key's profile is its similarity to every query centroid; each key joins
// the key cluster whose centroid's profile is closest in cosine, and key centroids become their
// members' means; then the same for queries against the new key centroids. Fills labels and sizes.
void coCluster(const at::Tensor& q, const at::Tensor& k, Clustering& queries, Clustering& keys,
               int iterations);

class SvooAttention : public SparseAttention {
 public:
  SvooAttention(const AttentionConfig& config, SvooProfile profile)
      : SparseAttention(config), profile_(std::move(profile)) {}
  const SvooProfile& profile() const { return profile_; }

 protected:
  at::Tensor sparse(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v,
                    const AttentionCall& call) override;

 private:
  SvooProfile profile_;
  struct Centroids {
    at::Tensor query, key;
  };
  std::map<int, Centroids> cache_;
};

}  // namespace svgen
