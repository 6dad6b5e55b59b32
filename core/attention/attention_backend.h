// The one interface every self-attention call of the DiT goes through. Dense is the reference;
// the sparse methods (SVG, SVG2, SVOO) implement the same contract.
#pragma once
#include <ATen/core/Tensor.h>

#include <array>
#include <cstdint>

namespace svgen {

// Where in the run a call happens: the methods decide per step and layer (warm-up, profiling).
struct AttentionCall {
  int step = 0;
  int numSteps = 1;
  int layer = 0;
  int numLayers = 1;
  std::array<int64_t, 3> grid = {1, 1, 1};  // tokens along frames, height, width
};

class AttentionBackend {
 public:
  virtual ~AttentionBackend() = default;
  // q, k, v: (B, L, heads, headDim), after QK-norm and RoPE. Returns (B, L, heads, headDim).
  virtual at::Tensor selfAttention(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v,
                                   const AttentionCall& call) = 0;
};

// Exact softmax(q kᵀ/√d) v over (B, L, heads, headDim) tensors, computed in query chunks so memory
// stays bounded at long sequences. Also serves cross-attention.
at::Tensor denseAttention(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v);

class DenseAttention : public AttentionBackend {
 public:
  at::Tensor selfAttention(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v,
                           const AttentionCall& call) override {
    return denseAttention(q, k, v);
  }
};

}  // namespace svgen
