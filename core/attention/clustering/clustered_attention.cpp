#include "core/attention/clustering/clustered_attention.h"

#include "core/attention/attention_recorder.h"
#include "core/attention/block_sparse.h"
#include "core/attention/clustering/cluster_parameters.h"

#include <ATen/ATen.h>

namespace svgen {

at::Tensor ClusteredAttention::sparse(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v,
                                      const AttentionCall& call) {
  const int64_t H = q.size(0), L = q.size(1);
  const int cq = clustering::resolvedQueryClusters(config_, L);
  const int ck = clustering::resolvedKeyClusters(config_, k.size(1));
  Centroids& cached = cache_[call.layer];
  auto seed = [&](const at::Tensor& c, int n) {
    return c.defined() && c.size(0) == H && c.size(1) == n ? c : at::Tensor();
  };
  PhaseClock clock(*this, q);
  Clustering qc, kc;
  qc.centroids = seed(cached.query, cq);
  kc.centroids = seed(cached.key, ck);
  // From scratch (the first sparse step of each layer) k-means runs all its iterations: the
  // slow part of a step, which the progress line names.
  announcePhase(qc.centroids.defined() ? "k-means" : "k-means from scratch");
  cluster(q, k, cq, ck, qc, kc);
  clock.lap("cluster");
  cached.query = qc.centroids;
  cached.key = kc.centroids;

  announcePhase("sparse attention");
  if (!recorder_ && blockSparseCudaSupports(q, k, v)) {
    at::Tensor out = sparseOnDevice(q, k, v, call, qc, kc, clock);
    if (out.defined()) return out;
  }
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

  at::Tensor out = runPlan(q, k, v, plan);
  clock.lap("kernel");
  countSparse(plan);
  if (recorder_) recordClusters(*recorder_, call, name(), q, k, plan, qc.labels, kc.labels, batch_);
  return out;
}

at::Tensor ClusteredAttention::sparseOnDevice(const at::Tensor& q, const at::Tensor& k,
                                              const at::Tensor& v, const AttentionCall& call,
                                              const Clustering& queries, const Clustering& keys,
                                              PhaseClock& clock) {
  const int64_t H = q.size(0), L = q.size(1), Lk = k.size(1);
  const int cq = static_cast<int>(queries.sizes.size(1)), ck = static_cast<int>(keys.sizes.size(1));
  const DeviceClusterLayout ql = clusterLayoutOnDevice(queries.labels, cq);
  const DeviceClusterLayout kl = clusterLayoutOnDevice(keys.labels, ck);
  if (!ql.defined() || !kl.defined()) return {};
  const DeviceRows rows = choosePairsOnDevice(queries, keys, call);
  if (!rows.defined()) return {};
  // Score entries the plan computes: per kept (row, key cluster) entry, query cluster size times
  // key cluster size; one value comes back to the host.
  const at::Tensor counts =
      (rows.offsets.narrow(0, 1, H * cq) - rows.offsets.narrow(0, 0, H * cq)).to(at::kLong);
  const int64_t entries = rows.offsets[H * cq].item<int64_t>();
  const at::Tensor rowOf = at::repeat_interleave(at::arange(H * cq, counts.options()), counts,
                                                 /*dim=*/0, /*output_size=*/entries);
  const at::Tensor kept = rows.keyBlocks.narrow(0, 0, entries).to(at::kLong);
  const at::Tensor keySize =
      keys.sizes.reshape({-1}).index_select(0, rowOf.div(cq, "floor") * ck + kept);
  const at::Tensor querySize = queries.sizes.reshape({-1}).index_select(0, rowOf);
  const int64_t scores = (querySize * keySize).sum().item<int64_t>();
  const DeviceBlockSparsePlan plan =
      devicePlan(H, L, Lk, cq, ck, ql.starts, kl.starts, rows.offsets, rows.keyBlocks,
                 ql.perm.view({-1}), kl.perm.view({-1}), scores);
  clock.lap("plan");
  at::Tensor out = runDevicePlan(q, k, v, plan);
  clock.lap("kernel");
  countSparse(static_cast<double>(scores), static_cast<double>(H) * L * Lk);
  return out;
}

}  // namespace svgen
