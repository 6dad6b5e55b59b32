// What SVG2 and SVOO share: cluster queries and keys per head (seeded from the previous step's
// centroids of the same layer), make every cluster a contiguous block through the kernel's token
// orders, choose cluster pairs, compute, count and record. Each method supplies its clustering
// and its choice of pairs.
#pragma once
#include "core/attention/clustering/cluster_selection.h"
#include "core/attention/clustering/clustering.h"
#include "core/attention/sparse_attention.h"

#include <map>

namespace svgen {

class ClusteredAttention : public SparseAttention {
 public:
  using SparseAttention::SparseAttention;

 protected:
  at::Tensor sparse(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v,
                    const AttentionCall& call) final;
  // Clusters q and k into `queries` and `keys`. The centroids they hold on entry are this
  // layer's from the previous sparse step (the seeds), or undefined on the first one.
  virtual void cluster(const at::Tensor& q, const at::Tensor& k, int queryClusters, int keyClusters,
                       Clustering& queries, Clustering& keys) = 0;
  // Appends each (head, query cluster) row of key clusters to `plan`.
  virtual void choosePairs(BlockSparsePlan& plan, const Clustering& queries, const Clustering& keys,
                           const AttentionCall& call) = 0;
  // The same choice kept on the device; undefined rows (the default) take the host path.
  virtual DeviceRows choosePairsOnDevice(const Clustering& queries, const Clustering& keys,
                                         const AttentionCall& call) {
    return {};
  }
  virtual const char* name() const = 0;

 private:
  // The CUDA path: layout, pair choice and plan stay on the GPU. Undefined when a piece has no
  // kernel (or a recorder wants the host plan).
  at::Tensor sparseOnDevice(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v,
                            const AttentionCall& call, const Clustering& queries,
                            const Clustering& keys, PhaseClock& clock);
  struct Centroids {
    at::Tensor query, key;
  };
  std::map<int, Centroids> cache_;  // per layer
};

}  // namespace svgen
