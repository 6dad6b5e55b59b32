#include "core/attention/svg2_attention.h"

#include "core/attention/attention_recorder.h"
#include "core/attention/block_sparse.h"
#include "core/attention/cluster_selection.h"
#include "core/attention/clustering.h"

#include <ATen/ATen.h>

#include <cmath>

namespace svgen {

at::Tensor Svg2Attention::sparse(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v,
                                 const AttentionCall& call) {
  const int64_t H = q.size(0), L = q.size(1);
  const int cq = resolvedQueryClusters(config_, L);
  const int ck = resolvedKeyClusters(config_, k.size(1));
  Centroids& cached = cache_[call.layer];
  auto warm = [&](const at::Tensor& c, int n) {
    return c.defined() && c.size(0) == H && c.size(1) == n;
  };
  const bool warmQ = warm(cached.query, cq), warmK = warm(cached.key, ck);
  Clustering qc = kmeans(q, cq, warmQ ? config_.kmeansWarmIterations : config_.kmeansIterations,
                         warmQ ? cached.query : at::Tensor());
  Clustering kc = kmeans(k, ck, warmK ? config_.kmeansWarmIterations : config_.kmeansIterations,
                         warmK ? cached.key : at::Tensor());
  cached.query = qc.centroids;
  cached.key = kc.centroids;

  const ClusterLayout ql = clusterLayout(qc.labels, cq);
  const ClusterLayout kl = clusterLayout(kc.labels, ck);
  BlockSparsePlan plan;
  plan.heads = H;
  plan.queryLen = L;
  plan.keyLen = k.size(1);
  plan.numQueryBlocks = cq;
  plan.numKeyBlocks = ck;
  plan.queryStarts = ql.starts;
  plan.keyStarts = kl.starts;
  const int minKeep = static_cast<int>(config_.minKeyClusterRatio * ck);
  appendTopPRows(plan, centroidLogits(qc.centroids, kc.centroids, kc.sizes), config_.topP, minKeep);

  plan.queryOrder = orderOf(ql.perm);
  plan.keyOrder = orderOf(kl.perm);
  at::Tensor out = blockSparseAttention(q, k, v, plan);
  countSparse(plan);
  if (recorder_) recordClusters(*recorder_, call, "svg2", q, k, plan, qc.labels, kc.labels, batch_);
  return out;
}

}  // namespace svgen
