// Fused RMSNorm + 3D RoPE for Wan's self-attention q and k: one read of the linear's output, one
// write of (B, L, heads, headDim). Plain C++ interface on raw device pointers; no CUDA or LibTorch
// types, so core/ includes it in any build (without nvcc the functions throw).
#pragma once
#include <cstdint>

namespace svgen::kernels {

// One tensor to normalise and rotate. Pointers are device memory, 16-byte aligned.
struct NormRopeOperand {
  const void* x = nullptr;  // bf16, `rows` rows of `dim` elements, row i at x + i·rowStride
  int64_t rowStride = 0;    // in elements, ≥ dim and a multiple of 8 (a fused qkv buffer works)
  const void* weight = nullptr;  // bf16 (dim)
  void* out = nullptr;           // bf16 (rows, dim) contiguous, i.e. (B, L, heads, headDim)
};

struct NormRopeShape {
  int64_t rows = 0;    // B · L
  int64_t seqLen = 0;  // L: row r takes its angles from table row r % L
  int heads = 0;
  int headDim = 0;  // a multiple of 8; dim = heads · headDim ≤ 16384
  double eps = 1e-6;
};

// For each operand and row: y = bf16(bf16(x · rsqrt(mean(x²) + eps)) · w), the mean over the whole
// row in float32; then per head, interleaved pairs (y[2j], y[2j+1]) rotate in float32 by the angle
// whose cos and sin are cosTable/sinTable[r % L][j] (float32, (L, headDim/2) contiguous), rounded
// to bf16. The rounding steps are those of the unfused LibTorch ops, so the two agree to within
// float32 reduction-order noise. `count` is 1 or 2 (q and k in one launch). `stream` is a
// cudaStream_t; nullptr is the legacy default stream (LibTorch's default current stream).
void rmsNormRopeBf16(const NormRopeOperand* operands, int count, const NormRopeShape& shape,
                     const float* cosTable, const float* sinTable, void* stream);

}  // namespace svgen::kernels
