// What every sparse method shares: dense warm-up, the head-major layout the kernels use, and the
// density count. Each method implements only its own decision and block plan.
#pragma once
#include "core/attention/attention_backend.h"
#include "core/attention/attention_config.h"

namespace svgen {

struct BlockSparsePlan;

class SparseAttention : public AttentionBackend {
 public:
  explicit SparseAttention(const AttentionConfig& config) : config_(config) {}
  at::Tensor selfAttention(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v,
                           const AttentionCall& call) final;
  // Whether this call runs dense: the first warm-up steps and layers.
  bool isWarmup(const AttentionCall& call) const;
  const AttentionConfig& config() const { return config_; }

 protected:
  // q, k, v: (batch × heads, L, headDim), contiguous; returns the same layout.
  virtual at::Tensor sparse(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v,
                            const AttentionCall& call) = 0;
  // Adds what a plan computes to the run's counts.
  void countSparse(const BlockSparsePlan& plan);
  void countSparse(double scoresComputed, double scoresTotal);

  AttentionConfig config_;
  int batch_ = 1;  // of the current call, for the recorder
};

}  // namespace svgen
