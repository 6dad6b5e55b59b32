// What every sparse method shares: dense warm-up, the head-major layout the kernels use, and the
// density count. Each method implements only its own decision and block plan.
#pragma once
#include "core/attention/attention_backend.h"
#include "core/attention/attention_config.h"
#include "core/attention/block_sparse.h"

namespace svgen {

class SparseAttention : public AttentionBackend {
 public:
  explicit SparseAttention(const AttentionConfig& config) : config_(config) {}
  at::Tensor selfAttention(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v,
                           const AttentionCall& call) final;
  // The text keys join every plan as one more key block (withDenseKeyTail); the text queries
  // attend densely.
  at::Tensor jointAttention(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v,
                            int64_t textTokens, const AttentionCall& call) final;
  // Whether this call runs dense: the first warm-up steps and layers.
  bool isWarmup(const AttentionCall& call) const;
  const AttentionConfig& config() const { return config_; }

 protected:
  // q, k, v: (batch × heads, L, headDim), contiguous; returns the same layout.
  virtual at::Tensor sparse(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v,
                            const AttentionCall& call) = 0;
  // The methods run their plans through these, which join the call's text keys and values (none
  // outside jointAttention) to k and v as a dense key block. Counts stay the video's own.
  at::Tensor runPlan(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v,
                     const BlockSparsePlan& plan) const;
  DeviceBlockSparsePlan devicePlan(int64_t heads, int64_t queryLen, int64_t keyLen,
                                   int numQueryBlocks, int numKeyBlocks,
                                   const at::Tensor& queryStarts, const at::Tensor& keyStarts,
                                   const at::Tensor& offsets, const at::Tensor& keyBlocks,
                                   const at::Tensor& queryOrder, const at::Tensor& keyOrder,
                                   int64_t scores) const;
  at::Tensor runDevicePlan(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v,
                           const DeviceBlockSparsePlan& plan) const;
  // Adds what a plan computes to the run's counts.
  void countSparse(const BlockSparsePlan& plan);
  void countSparse(double scoresComputed, double scoresTotal);

  AttentionConfig config_;
  int batch_ = 1;  // of the current call, for the recorder

 private:
  // Both entry points: dense in warm-up, else the method over the first L − textTokens tokens
  // (the video) with the rest (text) joined as a dense key tail and attending densely.
  at::Tensor attend(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v,
                    int64_t textTokens, const AttentionCall& call);
  // The video part of a call past warm-up: head-major, the method's sparse().
  at::Tensor sparseCall(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v,
                        const AttentionCall& call, PhaseClock& clock);
  // During jointAttention: the text's keys and values, head-major (batch × heads, Lt, d).
  at::Tensor tailK_, tailV_;
};

}  // namespace svgen
