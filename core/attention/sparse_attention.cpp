#include "core/attention/sparse_attention.h"

#include "core/attention/attention_recorder.h"
#include "core/attention/block_sparse.h"
#include "core/attention/warmup.h"

#include <ATen/ATen.h>

#include <cmath>
#include <stdexcept>
#include <string>

namespace svgen {

bool SparseAttention::isWarmup(const AttentionCall& call) const {
  const int warmupSteps =
      static_cast<int>(std::lround(config_.get(warmup::fraction) * call.numSteps));
  return call.step < warmupSteps || call.layer < config_.get(warmup::layers);
}

at::Tensor SparseAttention::selfAttention(const at::Tensor& q, const at::Tensor& k,
                                          const at::Tensor& v, const AttentionCall& call) {
  return attend(q, k, v, 0, call);
}

at::Tensor SparseAttention::sparseCall(const at::Tensor& q, const at::Tensor& k,
                                       const at::Tensor& v, const AttentionCall& call,
                                       PhaseClock& clock) {
  const int64_t B = q.size(0), L = q.size(1), H = q.size(2), D = q.size(3);
  const at::Tensor qh = headMajor(q), kh = headMajor(k), vh = headMajor(v);
  clock.lap("layout");
  at::Tensor out = sparse(qh, kh, vh, call);
  return out.view({B, H, L, D}).permute({0, 2, 1, 3});
}

at::Tensor SparseAttention::jointAttention(const at::Tensor& q, const at::Tensor& k,
                                           const at::Tensor& v, int64_t textTokens,
                                           const AttentionCall& call) {
  if (textTokens <= 0) return attend(q, k, v, 0, call);
  const int64_t L = q.size(1) - textTokens;
  if (L != call.grid[0] * call.grid[1] * call.grid[2])
    throw std::invalid_argument("joint attention: " + std::to_string(q.size(1)) + " tokens, " +
                                std::to_string(textTokens) + " of text, do not fit the grid");
  return attend(q, k, v, textTokens, call);
}

at::Tensor SparseAttention::attend(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v,
                                   int64_t textTokens, const AttentionCall& call) {
  const int64_t L = q.size(1) - textTokens;
  batch_ = static_cast<int>(q.size(0));
  PhaseClock clock(*this, q);
  if (isWarmup(call)) {
    announcePhase("dense warm-up");
    countDense(q, k);
    if (recorder_)
      recordDense(*recorder_, call, "dense", headMajor(q.narrow(1, 0, L)),
                  headMajor(k.narrow(1, 0, L)), batch_);
    at::Tensor out = denseAttention(q, k, v);
    clock.lap("dense");
    return out;
  }
  if (textTokens == 0) return sparseCall(q, k, v, call, clock);
  // Cleared however the call ends, so a later call without text sees none.
  struct Tail {
    at::Tensor &k, &v;
    ~Tail() { k = v = at::Tensor(); }
  } tail{tailK_, tailV_};
  tailK_ = headMajor(k.narrow(1, L, textTokens));
  tailV_ = headMajor(v.narrow(1, L, textTokens));
  const at::Tensor video =
      sparseCall(q.narrow(1, 0, L), k.narrow(1, 0, L), v.narrow(1, 0, L), call, clock);
  const at::Tensor text = denseAttention(q.narrow(1, L, textTokens), k, v);
  clock.lap("text");
  // The text's rows and columns count as computed, so densities compare with dense's (L + Lt)².
  countTextScores(
      static_cast<double>(q.size(0)) * q.size(2) *
      (static_cast<double>(L) * textTokens + static_cast<double>(textTokens) * (L + textTokens)));
  return at::cat({video, text.to(video.scalar_type())}, 1);
}

at::Tensor SparseAttention::runPlan(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v,
                                    const BlockSparsePlan& plan) const {
  if (!tailK_.defined()) return blockSparseAttention(q, k, v, plan);
  return blockSparseAttention(q, at::cat({k, tailK_}, 1), at::cat({v, tailV_}, 1),
                              withDenseKeyTail(plan, tailK_.size(1)));
}

DeviceBlockSparsePlan SparseAttention::devicePlan(
    int64_t heads, int64_t queryLen, int64_t keyLen, int numQueryBlocks, int numKeyBlocks,
    const at::Tensor& queryStarts, const at::Tensor& keyStarts, const at::Tensor& offsets,
    const at::Tensor& keyBlocks, const at::Tensor& queryOrder, const at::Tensor& keyOrder,
    int64_t scores) const {
  if (!tailK_.defined())
    return makeDeviceBlockSparsePlan(heads, queryLen, keyLen, numQueryBlocks, numKeyBlocks,
                                     queryStarts, keyStarts, offsets, keyBlocks, queryOrder,
                                     keyOrder, scores);
  const int64_t tail = tailK_.size(1);
  const KeyTailPlan t = withDenseKeyTail(heads, numQueryBlocks, numKeyBlocks, keyLen, keyStarts,
                                         offsets, keyBlocks, keyOrder, tail);
  return makeDeviceBlockSparsePlan(heads, queryLen, keyLen + tail, numQueryBlocks, numKeyBlocks + 1,
                                   queryStarts, t.keyStarts, t.offsets, t.keyBlocks, queryOrder,
                                   t.keyOrder, scores + heads * queryLen * tail);
}

at::Tensor SparseAttention::runDevicePlan(const at::Tensor& q, const at::Tensor& k,
                                          const at::Tensor& v,
                                          const DeviceBlockSparsePlan& plan) const {
  if (!tailK_.defined()) return blockSparseAttentionCuda(q, k, v, plan);
  return blockSparseAttentionCuda(q, at::cat({k, tailK_}, 1), at::cat({v, tailV_}, 1), plan);
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
