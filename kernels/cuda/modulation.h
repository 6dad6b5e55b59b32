// The DiT's elementwise work around each sublayer, fused on CUDA: the modulated LayerNorm that
// feeds attention and the FFN (one pass instead of five), and the gated residual add (one pass
// instead of three). The residual stream and the modulation stay float32 (Wan's numerics); the
// normalised output is bf16, what the next linear layer reads. Plain C++ header, raw pointers.
#pragma once
#include <cstdint>

namespace svgen::kernels {

// y[b, r, :] = LayerNorm(x[b, r, :]) · mul[b, :] + add[b, :] (no affine of its own; eps inside
// the square root). x: float32 (batch, rows, dim) contiguous; mul, add: float32 rows of `dim`
// with `paramBatchStride` elements between batches (0: shared); y: bf16 (batch, rows, dim).
// dim must be a multiple of 4 and at most 8192.
void modulatedLayerNormCuda(const float* x, const float* mul, const float* add,
                            int64_t paramBatchStride, void* y, int64_t batch, int64_t rows, int dim,
                            float eps, void* stream = nullptr);

// x[b, r, :] += a[b, r, :] · gate[b, :] in place. x float32, a bf16, both (batch, rows, dim)
// contiguous; gate float32 with `gateBatchStride` between batches, or null for 1.
void gatedResidualCuda(float* x, const void* a, const float* gate, int64_t gateBatchStride,
                       int64_t batch, int64_t rows, int dim, void* stream = nullptr);

}  // namespace svgen::kernels
