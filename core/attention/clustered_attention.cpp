#include "core/attention/clustered_attention.h"

#include "core/attention/attention_recorder.h"
#include "core/attention/block_sparse.h"

#include <ATen/ATen.h>

namespace svgen {

at::Tensor ClusteredAttention::sparse(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v,
                                      const AttentionCall& call) {
  const int64_t H = q.size(0), L = q.size(1);
  const int cq = resolvedQueryClusters(config_, L);
  const int ck = resolvedKeyClusters(config_, k.size(1));
  Centroids& cached = cache_[call.layer];
  auto seed = [&](const at::Tensor& c, int n) {
    return c.defined() && c.size(0) == H && c.size(1) == n ? c : at::Tensor();
  };
  PhaseClock clock(*this, q);
  Clustering qc, kc;
  qc.centroids = seed(cached.query, cq);
  kc.centroids = seed(cached.key, ck);
  cluster(q, k, cq, ck, qc, kc);
  clock.lap("cluster");
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
  plan.queryOrder = orderOf(ql.perm);
  plan.keyOrder = orderOf(kl.perm);
  choosePairs(plan, qc, kc, call);
  clock.lap("plan");

  at::Tensor out = blockSparseAttention(q, k, v, plan);
  clock.lap("kernel");
  countSparse(plan);
  if (recorder_) recordClusters(*recorder_, call, name(), q, k, plan, qc.labels, kc.labels, batch_);
  return out;
}

}  // namespace svgen
