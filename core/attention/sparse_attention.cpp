#include "core/attention/sparse_attention.h"

#include "core/attention/attention_recorder.h"
#include "core/attention/block_sparse.h"
#include "core/attention/warmup.h"

#include <ATen/ATen.h>

#include <cmath>

namespace svgen {

bool SparseAttention::isWarmup(const AttentionCall& call) const {
  const int warmupSteps =
      static_cast<int>(std::lround(config_.get(warmup::fraction) * call.numSteps));
  return call.step < warmupSteps || call.layer < config_.get(warmup::layers);
}

at::Tensor SparseAttention::selfAttention(const at::Tensor& q, const at::Tensor& k,
                                          const at::Tensor& v, const AttentionCall& call) {
  const int64_t B = q.size(0), L = q.size(1), H = q.size(2), D = q.size(3);
  batch_ = static_cast<int>(B);
  PhaseClock clock(*this, q);
  if (isWarmup(call)) {
    announcePhase("dense warm-up");
    countDense(q, k);
    if (recorder_) recordDense(*recorder_, call, "dense", headMajor(q), headMajor(k), batch_);
    at::Tensor out = denseAttention(q, k, v);
    clock.lap("dense");
    return out;
  }
  const at::Tensor qh = headMajor(q), kh = headMajor(k), vh = headMajor(v);
  clock.lap("layout");
  at::Tensor out = sparse(qh, kh, vh, call);
  return out.view({B, H, L, D}).permute({0, 2, 1, 3});
}

void SparseAttention::countSparse(const BlockSparsePlan& plan) {
  countSparse(static_cast<double>(plan.scoresComputed()),
              static_cast<double>(plan.heads) * plan.queryLen * plan.keyLen);
}

void SparseAttention::countSparse(double computed, double total) {
  ++stats_.calls;
  stats_.scoresComputed += computed;
  stats_.scoresTotal += total;
  stats_.sparseScoresComputed += computed;
  stats_.sparseScoresTotal += total;
}

}  // namespace svgen
