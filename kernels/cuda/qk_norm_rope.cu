#include "kernels/cuda/cuda_check.h"
#include "kernels/cuda/qk_norm_rope.h"

#include <cuda_bf16.h>
#include <cuda_runtime.h>

#include <cstdint>
#include <stdexcept>
#include <string>

namespace svgen::kernels {

namespace {

constexpr int kVec = 8;  // bf16 elements per 16-byte access

struct OperandPair {
  NormRopeOperand op[2];
};

__device__ __forceinline__ float warpSum(float v) {
  for (int offset = 16; offset > 0; offset >>= 1) v += __shfl_xor_sync(0xffffffffu, v, offset);
  return v;
}

// One block per row; each thread holds up to VPT 16-byte vectors of the row in registers, so the
// row is read once from memory, reduced, and written once.
constexpr int kMaxThreads = 512;

template <int VPT>
__global__ void __launch_bounds__(kMaxThreads)
    rmsNormRopeKernel(OperandPair ops, int64_t rows, int64_t seqLen, int dim, int headDim,
                      float eps, const float* __restrict__ cosTable,
                      const float* __restrict__ sinTable) {
  const int64_t row = blockIdx.x;
  if (row >= rows) return;
  // A ternary rather than op[blockIdx.y]: a dynamic index would copy the parameters to local
  // memory.
  const NormRopeOperand op = blockIdx.y == 0 ? ops.op[0] : ops.op[1];
  const int nvec = dim / kVec;
  const auto* x =
      reinterpret_cast<const uint4*>(static_cast<const __nv_bfloat16*>(op.x) + row * op.rowStride);
  const auto* w = reinterpret_cast<const uint4*>(op.weight);
  auto* out = reinterpret_cast<uint4*>(static_cast<__nv_bfloat16*>(op.out) + row * dim);

  const int64_t token = row % seqLen;
  const int halfHead = headDim / 2;
  const float* cosRow = cosTable + token * halfHead;
  const float* sinRow = sinTable + token * halfHead;

  // Everything a thread needs is loaded before the reduction, so the weight and table reads
  // (L1/L2 hits: every row shares them) overlap the wait for x instead of following it. x is read
  // once, hence the evict-first load.
  uint4 raw[VPT], wRaw[VPT];
  float4 cRaw[VPT], sRaw[VPT];
  float sumSq = 0.f;
#pragma unroll
  for (int i = 0; i < VPT; ++i) {
    const int v = threadIdx.x + i * blockDim.x;
    if (v < nvec) {
      raw[i] = __ldcs(x + v);
      wRaw[i] = w[v];
      // Pairs of this vector: it never straddles two heads because headDim is a multiple of 8.
      const int pair0 = ((v * kVec) % headDim) / 2;
      cRaw[i] = *reinterpret_cast<const float4*>(cosRow + pair0);
      sRaw[i] = *reinterpret_cast<const float4*>(sinRow + pair0);
      const auto* h = reinterpret_cast<const __nv_bfloat162*>(&raw[i]);
#pragma unroll
      for (int p = 0; p < kVec / 2; ++p) {
        const float2 f = __bfloat1622float2(h[p]);
        sumSq += f.x * f.x + f.y * f.y;
      }
    }
  }

  __shared__ float warpSums[32];
  __shared__ float rowScale;
  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
  sumSq = warpSum(sumSq);
  if (lane == 0) warpSums[warp] = sumSq;
  __syncthreads();
  if (warp == 0) {
    const int warps = (blockDim.x + 31) >> 5;
    float s = lane < warps ? warpSums[lane] : 0.f;
    s = warpSum(s);
    if (lane == 0) rowScale = rsqrtf(s * (1.f / static_cast<float>(dim)) + eps);
  }
  __syncthreads();
  const float scale = rowScale;

#pragma unroll
  for (int i = 0; i < VPT; ++i) {
    const int v = threadIdx.x + i * blockDim.x;
    if (v >= nvec) continue;
    const auto* xh = reinterpret_cast<const __nv_bfloat162*>(&raw[i]);
    const auto* wh = reinterpret_cast<const __nv_bfloat162*>(&wRaw[i]);
    const float cs[4] = {cRaw[i].x, cRaw[i].y, cRaw[i].z, cRaw[i].w};
    const float sn[4] = {sRaw[i].x, sRaw[i].y, sRaw[i].z, sRaw[i].w};
    uint4 result;
    auto* rh = reinterpret_cast<__nv_bfloat162*>(&result);
#pragma unroll
    for (int p = 0; p < kVec / 2; ++p) {
      const float2 xf = __bfloat1622float2(xh[p]);
      const float2 wf = __bfloat1622float2(wh[p]);
      // The unfused ops round the normalised value to bf16, multiply by the bf16 weight (rounded
      // again), then rotate in float32. The _rn intrinsics keep the compiler from contracting
      // into FMAs, so the float32 results match the separate LibTorch ops bit for bit.
      const float n0 = __bfloat162float(__float2bfloat16_rn(__fmul_rn(xf.x, scale)));
      const float n1 = __bfloat162float(__float2bfloat16_rn(__fmul_rn(xf.y, scale)));
      const float a = __bfloat162float(__float2bfloat16_rn(__fmul_rn(n0, wf.x)));
      const float b = __bfloat162float(__float2bfloat16_rn(__fmul_rn(n1, wf.y)));
      const float r0 = __fsub_rn(__fmul_rn(a, cs[p]), __fmul_rn(b, sn[p]));
      const float r1 = __fadd_rn(__fmul_rn(a, sn[p]), __fmul_rn(b, cs[p]));
      rh[p] = __floats2bfloat162_rn(r0, r1);
    }
    out[v] = result;
  }
}

bool aligned16(const void* p) {
  return (reinterpret_cast<uintptr_t>(p) & 15u) == 0;
}

template <int VPT>
void launch(const OperandPair& ops, int count, const NormRopeShape& s, int threads,
            const float* cosTable, const float* sinTable, cudaStream_t stream) {
  const dim3 grid(static_cast<unsigned>(s.rows), static_cast<unsigned>(count));
  rmsNormRopeKernel<VPT><<<grid, threads, 0, stream>>>(ops, s.rows, s.seqLen, s.heads * s.headDim,
                                                       s.headDim, static_cast<float>(s.eps),
                                                       cosTable, sinTable);
  SVGEN_CUDA_CHECK_LAUNCH("rmsNormRopeKernel");
}

}  // namespace

void rmsNormRopeBf16(const NormRopeOperand* operands, int count, const NormRopeShape& s,
                     const float* cosTable, const float* sinTable, void* stream) {
  auto fail = [](const std::string& why) {
    throw std::invalid_argument("rmsNormRopeBf16: " + why);
  };
  if (count < 1 || count > 2) fail("count must be 1 or 2");
  if (s.heads < 1 || s.headDim < 8 || s.headDim % kVec != 0)
    fail("headDim must be a positive multiple of 8, heads positive");
  if (s.seqLen < 1 || s.rows < 0 || (s.rows % s.seqLen) != 0)
    fail("rows must be a multiple of seqLen");
  if (s.rows > 0x7fffffffLL) fail("too many rows for one launch");
  if (!cosTable || !sinTable || !aligned16(cosTable) || !aligned16(sinTable))
    fail("cos/sin tables must be 16-byte aligned");
  const int64_t dim = static_cast<int64_t>(s.heads) * s.headDim;
  OperandPair ops{};
  for (int i = 0; i < count; ++i) {
    const NormRopeOperand& o = operands[i];
    if (!o.x || !o.weight || !o.out) fail("null pointer");
    if (!aligned16(o.x) || !aligned16(o.weight) || !aligned16(o.out))
      fail("pointers must be 16-byte aligned");
    if (o.rowStride < dim || o.rowStride % kVec != 0)
      fail("rowStride must be >= dim and a multiple of 8");
    ops.op[i] = o;
  }
  if (s.rows == 0) return;
  const int nvec = static_cast<int>(dim / kVec);
  // Fewest vectors per thread that keep a block at ≤ 512 threads: one thread per 16 bytes up to
  // dim 4096, two beyond (dim 5120 → 320 threads). Four (up to dim 16384) is the most: the
  // registers holding x, weight and table then already cap the block at 512 threads.
  int vpt = 1;
  while (vpt < 4 && (nvec + vpt - 1) / vpt > kMaxThreads) vpt *= 2;
  if ((nvec + vpt - 1) / vpt > kMaxThreads) fail("dim too large (at most 16384)");
  const int threads = ((nvec + vpt - 1) / vpt + 31) / 32 * 32;
  auto st = static_cast<cudaStream_t>(stream);
  if (vpt == 1)
    launch<1>(ops, count, s, threads, cosTable, sinTable, st);
  else if (vpt == 2)
    launch<2>(ops, count, s, threads, cosTable, sinTable, st);
  else
    launch<4>(ops, count, s, threads, cosTable, sinTable, st);
}

}  // namespace svgen::kernels
