#include "kernels/cuda/cuda_check.h"
#include "kernels/cuda/modulation.h"

#include <cuda_bf16.h>

#include <algorithm>
#include <stdexcept>
#include <string>

namespace svgen::kernels {

namespace {

constexpr int kThreads = 256;
constexpr int kMaxVectors = 8;  // float4s per thread: dim ≤ 256 · 8 · 4 = 8192

__device__ __forceinline__ float blockSum(float v, float* scratch) {
#pragma unroll
  for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
  const int warp = threadIdx.x >> 5, lane = threadIdx.x & 31;
  __syncthreads();  // scratch may still be read from the previous reduction
  if (lane == 0) scratch[warp] = v;
  __syncthreads();
  float total = 0;
#pragma unroll
  for (int w = 0; w < kThreads / 32; ++w) total += scratch[w];
  return total;
}

// One block per row; the row stays in registers between the two reductions and the output.
__global__ void __launch_bounds__(kThreads)
    modulatedLayerNormKernel(const float* __restrict__ x, const float* __restrict__ mul,
                             const float* __restrict__ add, int64_t paramBatchStride,
                             __nv_bfloat16* __restrict__ y, int64_t rows, int dim, float eps) {
  __shared__ float scratch[kThreads / 32];
  const int64_t row = blockIdx.x;  // over batch · rows
  const int64_t b = row / rows;
  const int vectors = dim / 4;
  const float4* xr = reinterpret_cast<const float4*>(x + row * dim);
  float4 v[kMaxVectors];
  float sum = 0;
#pragma unroll
  for (int i = 0; i < kMaxVectors; ++i) {
    const int c = threadIdx.x + i * kThreads;
    v[i] = c < vectors ? xr[c] : make_float4(0.f, 0.f, 0.f, 0.f);
    sum += v[i].x + v[i].y + v[i].z + v[i].w;
  }
  const float mean = blockSum(sum, scratch) / dim;
  float sq = 0;
#pragma unroll
  for (int i = 0; i < kMaxVectors; ++i) {
    const int c = threadIdx.x + i * kThreads;
    if (c < vectors) {
      const float a = v[i].x - mean, bq = v[i].y - mean, cq = v[i].z - mean, d = v[i].w - mean;
      sq += a * a + bq * bq + cq * cq + d * d;
    }
  }
  const float inv = rsqrtf(blockSum(sq, scratch) / dim + eps);
  const float4* m4 = reinterpret_cast<const float4*>(mul + b * paramBatchStride);
  const float4* a4 = reinterpret_cast<const float4*>(add + b * paramBatchStride);
  uint2* yr = reinterpret_cast<uint2*>(y + row * dim);
#pragma unroll
  for (int i = 0; i < kMaxVectors; ++i) {
    const int c = threadIdx.x + i * kThreads;
    if (c >= vectors) continue;
    const float4 m = m4[c], a = a4[c];
    __nv_bfloat162 lo =
        __floats2bfloat162_rn((v[i].x - mean) * inv * m.x + a.x, (v[i].y - mean) * inv * m.y + a.y);
    __nv_bfloat162 hi =
        __floats2bfloat162_rn((v[i].z - mean) * inv * m.z + a.z, (v[i].w - mean) * inv * m.w + a.w);
    uint2 out;
    out.x = *reinterpret_cast<uint32_t*>(&lo);
    out.y = *reinterpret_cast<uint32_t*>(&hi);
    yr[c] = out;
  }
}

__global__ void gatedResidualKernel(float* __restrict__ x, const __nv_bfloat16* __restrict__ a,
                                    const float* __restrict__ gate, int64_t gateBatchStride,
                                    int64_t rows, int dim, int64_t vectors) {
  const int dv = dim / 4;
  for (int64_t i = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; i < vectors;
       i += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    const int64_t row = i / dv;
    const int c = static_cast<int>(i % dv);
    float4 xv = reinterpret_cast<float4*>(x)[i];
    const uint2 raw = reinterpret_cast<const uint2*>(a)[i];
    const __nv_bfloat162 lo = *reinterpret_cast<const __nv_bfloat162*>(&raw.x);
    const __nv_bfloat162 hi = *reinterpret_cast<const __nv_bfloat162*>(&raw.y);
    float4 g = make_float4(1.f, 1.f, 1.f, 1.f);
    if (gate) g = reinterpret_cast<const float4*>(gate + (row / rows) * gateBatchStride)[c];
    xv.x += __low2float(lo) * g.x;
    xv.y += __high2float(lo) * g.y;
    xv.z += __low2float(hi) * g.z;
    xv.w += __high2float(hi) * g.w;
    reinterpret_cast<float4*>(x)[i] = xv;
  }
}

bool aligned(const void* p, int bytes) {
  return (reinterpret_cast<uintptr_t>(p) % bytes) == 0;
}

}  // namespace

void modulatedLayerNormCuda(const float* x, const float* mul, const float* add,
                            int64_t paramBatchStride, void* y, int64_t batch, int64_t rows, int dim,
                            float eps, void* stream) {
  if (dim % 4 || dim > kThreads * kMaxVectors * 4 || dim <= 0)
    throw std::invalid_argument("modulated LayerNorm: dim " + std::to_string(dim) +
                                " (needs a multiple of 4, at most 8192)");
  if (paramBatchStride % 4 || !aligned(x, 16) || !aligned(mul, 16) || !aligned(add, 16) ||
      !aligned(y, 8))
    throw std::invalid_argument("modulated LayerNorm: misaligned tensors");
  if (batch * rows == 0) return;
  modulatedLayerNormKernel<<<static_cast<unsigned>(batch * rows), kThreads, 0,
                             static_cast<cudaStream_t>(stream)>>>(
      x, mul, add, paramBatchStride, static_cast<__nv_bfloat16*>(y), rows, dim, eps);
  SVGEN_CUDA_CHECK_LAUNCH("modulatedLayerNormKernel");
}

void gatedResidualCuda(float* x, const void* a, const float* gate, int64_t gateBatchStride,
                       int64_t batch, int64_t rows, int dim, void* stream) {
  if (dim % 4 || dim <= 0 || gateBatchStride % 4 || !aligned(x, 16) || !aligned(a, 8) ||
      (gate && !aligned(gate, 16)))
    throw std::invalid_argument("gated residual: dim must be a multiple of 4, tensors aligned");
  const int64_t vectors = batch * rows * dim / 4;
  if (vectors == 0) return;
  const int64_t blocks = std::min<int64_t>((vectors + 255) / 256, 132 * 16);
  gatedResidualKernel<<<static_cast<unsigned>(blocks), 256, 0, static_cast<cudaStream_t>(stream)>>>(
      x, static_cast<const __nv_bfloat16*>(a), gate, gateBatchStride, rows, dim, vectors);
  SVGEN_CUDA_CHECK_LAUNCH("gatedResidualKernel");
}

}  // namespace svgen::kernels
