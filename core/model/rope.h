// The 3D rotary position embedding of Wan and HunyuanVideo over a (frames, height, width) token
// grid.
#pragma once
#include <ATen/core/Tensor.h>

#include <array>
#include <cstdint>

namespace svgen {

// Per-token rotation angles' cos and sin, each (L, headDim/2) float32, L = frames·height·width in
// frame-major order. Pair j of the head dimension belongs to the frame axis for the first
// c − 2⌊c/3⌋ pairs (c = headDim/2), then height and width get ⌊c/3⌋ pairs each; within an axis of
// D dims, pair j turns by position · theta^(−2j/D).
struct RopeTables {
  at::Tensor cos;
  at::Tensor sin;
};

// How Wan splits a head's `pairs` rotation pairs among the axes: {frames, height, width}, the
// frame axis getting what the two spatial axes (⌊pairs/3⌋ each) leave.
std::array<int64_t, 3> ropeAxisPairs(int64_t pairs);

RopeTables makeRopeTables(int64_t frames, int64_t height, int64_t width, int64_t headDim,
                          const at::Device& device, double theta = 10000.0);
// The same with the axes' pairs given ({frames, height, width}: HunyuanVideo's 8, 28, 28).
RopeTables makeRopeTables(int64_t frames, int64_t height, int64_t width,
                          const std::array<int64_t, 3>& axisPairs, const at::Device& device,
                          double theta);

// The "sincos" absolute position embedding: (L, dim) float32, frame-major like the tokens. The
// dims are split among the axes as RoPE splits a head (frame axis first, then height, width), and
// within an axis of D dims, position p gives sin(p·ω_j) in the first D/2 and cos(p·ω_j) in the
// rest, ω_j = theta^(−2j/D).
at::Tensor sincosPositionEmbedding(int64_t frames, int64_t height, int64_t width, int64_t dim,
                                   const at::Device& device, double theta = 10000.0);

// Rotates interleaved pairs (x[2j], x[2j+1]) of x: (B, L, heads, headDim). Returns x's dtype.
at::Tensor applyRope(const at::Tensor& x, const RopeTables& tables);

// RMSNorm over the last dim as Wan computes it: in float32, the normalised value cast back to x's
// dtype, then multiplied by the weight in that dtype.
at::Tensor rmsNorm(const at::Tensor& x, const at::Tensor& weight, double eps);

// Self-attention q or k: rmsNorm over the whole dim of x (B, L, heads·headDim), then applyRope
// per head. Returns (B, L, heads, headDim) in x's dtype. A bf16 CUDA x goes through the fused
// kernel (kernels/cuda/qk_norm_rope.h), anything else through rmsNormRopeReference; both round
// the same way.
at::Tensor rmsNormRope(const at::Tensor& x, const at::Tensor& weight, double eps,
                       const RopeTables& tables, int64_t heads);
// The unfused ATen ops: the CPU path and the selftest's reference.
at::Tensor rmsNormRopeReference(const at::Tensor& x, const at::Tensor& weight, double eps,
                                const RopeTables& tables, int64_t heads);
// True when rmsNormRope would take the fused kernel for these arguments.
bool rmsNormRopeUsesKernel(const at::Tensor& x, const at::Tensor& weight, const RopeTables& tables,
                           int64_t heads);

}  // namespace svgen
