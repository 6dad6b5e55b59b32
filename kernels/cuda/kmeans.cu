// Batched k-means on the GPU: tensor-core assignment with a fused argmin, centroid update with
// float atomics, and the driver that mirrors core's kmeans().
#include "kernels/cuda/cuda_check.h"
#include "kernels/cuda/kmeans.h"
#include "kernels/cuda/kmeans_device.cuh"

#include <cuda_bf16.h>

#include <algorithm>
#include <stdexcept>
#include <string>

namespace svgen::kernels {
namespace {

using detail::kFullMask;
using Bf16 = __nv_bfloat16;

// One warp owns 16 points for the whole pass and keeps their A fragments in registers; the block's
// warps share each tile of centroids staged in shared memory (double-buffered with cp.async).
constexpr int kAssignWarps = 8;
constexpr int kAssignThreads = kAssignWarps * 32;
constexpr int kAssignRows = 16 * kAssignWarps;
constexpr int kAssignCols = 64;
// Row padding (bf16 elements): consecutive rows then start 4 banks apart, so the 8 row addresses
// of one ldmatrix hit 8 distinct 16-byte bank groups.
constexpr int kPad = 8;
constexpr int kMaxClusters = 1 << 20;

__device__ __forceinline__ uint32_t sharedAddress(const void* p) {
  return static_cast<uint32_t>(__cvta_generic_to_shared(p));
}

// 16 bytes global → shared without passing through registers; `valid` false zero-fills (the
// source is then not read, but must still be a mapped address).
__device__ __forceinline__ void copyAsync16(void* dst, const void* src, bool valid) {
  const int bytes = valid ? 16 : 0;
  asm volatile("cp.async.cg.shared.global [%0], [%1], 16, %2;\n" ::"r"(sharedAddress(dst)),
               "l"(src), "r"(bytes)
               : "memory");
}
__device__ __forceinline__ void copyAsyncCommit() {
  asm volatile("cp.async.commit_group;\n" ::: "memory");
}
__device__ __forceinline__ void copyAsyncWaitAll() {
  asm volatile("cp.async.wait_group 0;\n" ::: "memory");
}

__device__ __forceinline__ void loadMatrixX4(uint32_t (&r)[4], const Bf16* p) {
  asm volatile("ldmatrix.sync.aligned.m8n8.x4.shared.b16 {%0, %1, %2, %3}, [%4];\n"
               : "=r"(r[0]), "=r"(r[1]), "=r"(r[2]), "=r"(r[3])
               : "r"(sharedAddress(p))
               : "memory");
}

// d += a · b for one m16n8k16 tile (a row-major 16×16, b "col" = centroid rows 8×16).
__device__ __forceinline__ void mmaBf16(float (&d)[4], const uint32_t (&a)[4], uint32_t b0,
                                        uint32_t b1) {
  asm volatile(
      "mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32 {%0, %1, %2, %3}, {%4, %5, %6, %7}, "
      "{%8, %9}, {%0, %1, %2, %3};\n"
      : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3])
      : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b0), "r"(b1));
}

__device__ __forceinline__ float toFloat(float v) {
  return v;
}
__device__ __forceinline__ float toFloat(Bf16 v) {
  return __bfloat162float(v);
}

// Four consecutive elements (8- or 16-byte aligned) as floats.
__device__ __forceinline__ float4 load4(const float* p) {
  return *reinterpret_cast<const float4*>(p);
}
__device__ __forceinline__ float4 load4(const Bf16* p) {
  const uint2 raw = *reinterpret_cast<const uint2*>(p);
  const float2 lo = __bfloat1622float2(*reinterpret_cast<const __nv_bfloat162*>(&raw.x));
  const float2 hi = __bfloat1622float2(*reinterpret_cast<const __nv_bfloat162*>(&raw.y));
  return make_float4(lo.x, lo.y, hi.x, hi.y);
}

template <int D>
__device__ __forceinline__ void stagePoints(Bf16* sx, const Bf16* xh, int64_t row0, int64_t n) {
  constexpr int kChunks = D / 8;  // 16-byte pieces per row
  for (int c = threadIdx.x; c < kAssignRows * kChunks; c += kAssignThreads) {
    const int r = c / kChunks, k = (c % kChunks) * 8;
    const bool valid = row0 + r < n;
    copyAsync16(sx + r * (D + kPad) + k, valid ? xh + (row0 + r) * D + k : xh, valid);
  }
}

// float32 points are rounded to bf16 on the way in (tensor cores take bf16).
template <int D>
__device__ __forceinline__ void stagePoints(Bf16* sx, const float* xh, int64_t row0, int64_t n) {
  constexpr int kChunks = D / 4;
  for (int c = threadIdx.x; c < kAssignRows * kChunks; c += kAssignThreads) {
    const int r = c / kChunks, k = (c % kChunks) * 4;
    float4 v = make_float4(0.f, 0.f, 0.f, 0.f);
    if (row0 + r < n) v = load4(xh + (row0 + r) * D + k);
    __nv_bfloat162 lo = __floats2bfloat162_rn(v.x, v.y), hi = __floats2bfloat162_rn(v.z, v.w);
    uint2 packed;
    packed.x = *reinterpret_cast<uint32_t*>(&lo);
    packed.y = *reinterpret_cast<uint32_t*>(&hi);
    *reinterpret_cast<uint2*>(sx + r * (D + kPad) + k) = packed;
  }
}

// Centroids [c0, c0 + kAssignCols) of one head; missing ones are zero with norm +inf, so their
// distance is +inf and they never win.
template <int D>
__device__ __forceinline__ void stageCentroids(Bf16* sc, float* sn, const Bf16* ch, const float* nh,
                                               int c0, int clusters) {
  constexpr int kChunks = D / 8;
  for (int c = threadIdx.x; c < kAssignCols * kChunks; c += kAssignThreads) {
    const int r = c / kChunks, k = (c % kChunks) * 8;
    const bool valid = c0 + r < clusters;
    copyAsync16(sc + r * (D + kPad) + k, valid ? ch + static_cast<int64_t>(c0 + r) * D + k : ch,
                valid);
  }
  for (int i = threadIdx.x; i < kAssignCols; i += kAssignThreads)
    sn[i] = c0 + i < clusters ? nh[c0 + i] : INFINITY;
}

template <int D>
constexpr size_t assignSharedBytes() {
  return static_cast<size_t>(kAssignRows + 2 * kAssignCols) * (D + kPad) * sizeof(Bf16) +
         2 * kAssignCols * sizeof(float);
}

// grid (ceil(n / kAssignRows), heads). Distances |c|² − 2 x·c for 16 points × 8 centroids per mma
// group; each thread follows the best centroid of its two rows over its columns (ascending, strict
// <, so the first minimum wins), then the four threads sharing a row agree on the smallest
// distance, lowest index on a tie, as argmin does.
template <int D, class T>
__global__ void __launch_bounds__(kAssignThreads, 2)
    assignKernel(const T* __restrict__ points, int64_t n, const Bf16* __restrict__ centroids,
                 const float* __restrict__ norms, int clusters, int64_t* __restrict__ labels,
                 int32_t* changed) {
  static_assert(D % 32 == 0, "two k-steps per ldmatrix.x4 of centroids");
  constexpr int P = D + kPad;
  extern __shared__ __align__(16) unsigned char shared[];
  Bf16* sx = reinterpret_cast<Bf16*>(shared);
  Bf16* sc = sx + kAssignRows * P;                                 // two tiles
  float* sn = reinterpret_cast<float*>(sc + 2 * kAssignCols * P);  // two tiles of norms

  const int h = blockIdx.y;
  const int64_t row0 = static_cast<int64_t>(blockIdx.x) * kAssignRows;
  const T* xh = points + static_cast<int64_t>(h) * n * D;
  const Bf16* ch = centroids + static_cast<int64_t>(h) * clusters * D;
  const float* nh = norms + static_cast<int64_t>(h) * clusters;
  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;

  stagePoints<D>(sx, xh, row0, n);
  stageCentroids<D>(sc, sn, ch, nh, 0, clusters);
  copyAsyncCommit();
  copyAsyncWaitAll();
  __syncthreads();

  uint32_t a[D / 16][4];
#pragma unroll
  for (int ks = 0; ks < D / 16; ++ks)
    loadMatrixX4(a[ks], sx + (warp * 16 + (lane & 15)) * P + ks * 16 + (lane >> 4) * 8);

  float best[2] = {INFINITY, INFINITY};
  int bestIndex[2] = {0, 0};
  const int quad = lane & 3;
  const int tiles = (clusters + kAssignCols - 1) / kAssignCols;
  for (int t = 0; t < tiles; ++t) {
    if (t > 0) {
      // Tile t has landed, and every warp is done with tile t − 1, whose buffer is refilled next.
      copyAsyncWaitAll();
      __syncthreads();
    }
    if (t + 1 < tiles) {
      const int next = (t + 1) & 1;
      stageCentroids<D>(sc + next * kAssignCols * P, sn + next * kAssignCols, ch, nh,
                        (t + 1) * kAssignCols, clusters);
      copyAsyncCommit();
    }
    const Bf16* ct = sc + (t & 1) * kAssignCols * P;
    const float* nt = sn + (t & 1) * kAssignCols;
    // Each group of 8 centroids goes straight into the running argmin: only 4 accumulators live.
#pragma unroll
    for (int j = 0; j < kAssignCols / 8; ++j) {
      float acc[4] = {0.f, 0.f, 0.f, 0.f};
#pragma unroll
      for (int kp = 0; kp < D / 32; ++kp) {
        uint32_t b[4];
        loadMatrixX4(b, ct + (j * 8 + (lane & 7)) * P + kp * 32 + (lane >> 3) * 8);
        mmaBf16(acc, a[2 * kp], b[0], b[1]);
        mmaBf16(acc, a[2 * kp + 1], b[2], b[3]);
      }
#pragma unroll
      for (int e = 0; e < 2; ++e) {
        const int col = j * 8 + quad * 2 + e;
        const float norm = nt[col];
        const float d0 = fmaf(-2.f, acc[e], norm);
        const float d1 = fmaf(-2.f, acc[2 + e], norm);
        const int index = t * kAssignCols + col;
        if (d0 < best[0]) best[0] = d0, bestIndex[0] = index;
        if (d1 < best[1]) best[1] = d1, bestIndex[1] = index;
      }
    }
  }

#pragma unroll
  for (int r = 0; r < 2; ++r)
#pragma unroll
    for (int off = 1; off < 4; off <<= 1) {
      const float od = __shfl_xor_sync(kFullMask, best[r], off);
      const int oi = __shfl_xor_sync(kFullMask, bestIndex[r], off);
      if (od < best[r] || (od == best[r] && oi < bestIndex[r])) best[r] = od, bestIndex[r] = oi;
    }

  unsigned differ = 0;
  if (quad == 0) {
#pragma unroll
    for (int r = 0; r < 2; ++r) {
      const int64_t row = row0 + warp * 16 + (lane >> 2) + r * 8;
      if (row < n) {
        int64_t* out = labels + static_cast<int64_t>(h) * n + row;
        if (changed != nullptr && *out != bestIndex[r]) ++differ;
        *out = bestIndex[r];
      }
    }
  }
  if (changed != nullptr) {
    differ = __reduce_add_sync(kFullMask, differ);
    if (lane == 0 && differ != 0) atomicAdd(changed, static_cast<int32_t>(differ));
  }
}

// One warp per (head, cluster). With `sums`, the centroid becomes sums / count when the count is
// positive (an empty cluster keeps its centroid) and `sizes` gets the count; always, the bf16 copy
// and |c|² for the next assignment.
__global__ void finishCentroidsKernel(float* __restrict__ centroids, const float* __restrict__ sums,
                                      const int32_t* __restrict__ counts,
                                      int64_t* __restrict__ sizes, int64_t total, int dim,
                                      Bf16* __restrict__ centroidsBf16, float* __restrict__ norms) {
  const int64_t w = (static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x) >> 5;
  const int lane = threadIdx.x & 31;
  if (w >= total) return;  // whole warps leave together
  const int32_t count = sums != nullptr ? counts[w] : 0;
  if (sums != nullptr && lane == 0) sizes[w] = count;
  float* c = centroids + w * dim;
  float squares = 0.f;
  for (int k = lane; k < dim; k += 32) {
    float v = c[k];
    if (count > 0) {
      v = sums[w * dim + k] / static_cast<float>(count);
      c[k] = v;
    }
    centroidsBf16[w * dim + k] = __float2bfloat16_rn(v);
    squares = fmaf(v, v, squares);
  }
#pragma unroll
  for (int off = 16; off > 0; off >>= 1) squares += __shfl_xor_sync(kFullMask, squares, off);
  if (lane == 0) norms[w] = squares;
}

// One thread per 4 consecutive coordinates of a point, so a warp's reads are contiguous.
template <class T>
__global__ void accumulateKernel(const T* __restrict__ points, const int64_t* __restrict__ labels,
                                 int64_t n, int clusters, int dim, int64_t quads,
                                 float* __restrict__ sums, int32_t* __restrict__ counts) {
  const int perRow = dim / 4;
  for (int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < quads;
       i += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    const int64_t p = i / perRow;  // h·n + token
    const int k = static_cast<int>(i % perRow) * 4;
    const int64_t label = labels[p];
    if (label < 0 || label >= clusters) continue;
    const float4 v = load4(points + p * dim + k);
    const int64_t cluster = (p / n) * clusters + label;
    float* dst = sums + cluster * dim + k;
    // One vector atomic instead of four where the toolkit has it (sm_90, CUDA 12.8 and later
    // for certain; older 12.x may have it too, the scalar ones are only slower).
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 900 && \
    (__CUDACC_VER_MAJOR__ > 12 || (__CUDACC_VER_MAJOR__ == 12 && __CUDACC_VER_MINOR__ >= 8))
    atomicAdd(reinterpret_cast<float4*>(dst), v);
#else
    atomicAdd(dst, v.x);
    atomicAdd(dst + 1, v.y);
    atomicAdd(dst + 2, v.z);
    atomicAdd(dst + 3, v.w);
#endif
    if (k == 0) atomicAdd(counts + cluster, 1);
  }
}

// Centroid i = token floor((i + 1/2)·n/C), clamped, in double exactly as the ATen code computes it.
template <class T>
__global__ void seedKernel(const T* __restrict__ points, int64_t n, int clusters, int dim,
                           int64_t total, float* __restrict__ centroids) {
  for (int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < total;
       i += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    const int64_t k = i % dim;
    const int64_t hc = i / dim;
    const int64_t c = hc % clusters, h = hc / clusters;
    const double pos = floor((static_cast<double>(c) + 0.5) * (static_cast<double>(n) / clusters));
    const int64_t token = static_cast<int64_t>(fmin(fmax(pos, 0.0), static_cast<double>(n - 1)));
    centroids[i] = toFloat(points[(h * n + token) * dim + k]);
  }
}

unsigned gridFor(int64_t work, int threads) {
  const int64_t blocks = (work + threads - 1) / threads;
  return static_cast<unsigned>(std::min<int64_t>(std::max<int64_t>(blocks, 1), 1 << 20));
}

template <int D, class T>
void launchAssign(const T* points, int heads, int64_t n, const Bf16* centroids, const float* norms,
                  int clusters, int64_t* labels, int32_t* changed, cudaStream_t stream) {
  constexpr size_t bytes = assignSharedBytes<D>();
  SVGEN_CUDA_CHECK(cudaFuncSetAttribute(
      assignKernel<D, T>, cudaFuncAttributeMaxDynamicSharedMemorySize, static_cast<int>(bytes)));
  const dim3 grid(static_cast<unsigned>((n + kAssignRows - 1) / kAssignRows), heads);
  assignKernel<D, T><<<grid, kAssignThreads, bytes, stream>>>(points, n, centroids, norms, clusters,
                                                              labels, changed);
  SVGEN_CUDA_CHECK_LAUNCH("kmeans assignKernel");
}

template <class T>
void assignTyped(const T* points, int heads, int64_t n, int dim, const Bf16* centroids,
                 const float* norms, int clusters, int64_t* labels, int32_t* changed,
                 cudaStream_t stream) {
  switch (dim) {
    case 32:
      return launchAssign<32>(points, heads, n, centroids, norms, clusters, labels, changed,
                              stream);
    case 64:
      return launchAssign<64>(points, heads, n, centroids, norms, clusters, labels, changed,
                              stream);
    case 128:
      return launchAssign<128>(points, heads, n, centroids, norms, clusters, labels, changed,
                               stream);
    default:
      throw std::invalid_argument("kmeansAssign: head dim " + std::to_string(dim) +
                                  " not supported");
  }
}

void checkShape(int heads, int64_t n, int dim, int clusters, const char* who) {
  if (heads < 1 || heads > 65535 || n < 1 || !kmeansSupports(dim, clusters))
    throw std::invalid_argument(std::string(who) + ": unsupported shape (heads " +
                                std::to_string(heads) + ", n " + std::to_string(n) + ", dim " +
                                std::to_string(dim) + ", clusters " + std::to_string(clusters) +
                                ")");
}

struct KmeansScratch {
  Bf16* centroidsBf16;
  float* norms;
  float* sums;
  int32_t* counts;
  int32_t* changed;
};

KmeansScratch carveKmeans(void* workspace, int heads, int clusters, int dim) {
  detail::WorkspaceCarver carve(workspace);
  const size_t hc = static_cast<size_t>(heads) * clusters;
  KmeansScratch s;
  s.centroidsBf16 = carve.take<Bf16>(hc * dim);
  s.norms = carve.take<float>(hc);
  s.sums = carve.take<float>(hc * dim);
  s.counts = carve.take<int32_t>(hc);
  s.changed = carve.take<int32_t>(1);
  return s;
}

}  // namespace

bool kmeansSupports(int dim, int clusters) {
  return (dim == 32 || dim == 64 || dim == 128) && clusters >= 1 && clusters <= kMaxClusters;
}

size_t kmeansWorkspaceBytes(int heads, int clusters, int dim) {
  const size_t hc = static_cast<size_t>(heads) * clusters;
  return detail::alignUp(hc * dim * sizeof(Bf16)) + detail::alignUp(hc * sizeof(float)) +
         detail::alignUp(hc * dim * sizeof(float)) + detail::alignUp(hc * sizeof(int32_t)) +
         detail::alignUp(sizeof(int32_t));
}

void kmeansPrepareCentroids(const float* centroids, int heads, int clusters, int dim,
                            uint16_t* centroidsBf16, float* norms, void* stream) {
  const int64_t total = static_cast<int64_t>(heads) * clusters;
  finishCentroidsKernel<<<gridFor(total * 32, 256), 256, 0, static_cast<cudaStream_t>(stream)>>>(
      const_cast<float*>(centroids), nullptr, nullptr, nullptr, total, dim,
      reinterpret_cast<Bf16*>(centroidsBf16), norms);
  SVGEN_CUDA_CHECK_LAUNCH("kmeans finishCentroidsKernel");
}

void kmeansAssign(const void* points, PointType type, int heads, int64_t n, int dim,
                  const uint16_t* centroidsBf16, const float* norms, int clusters, int64_t* labels,
                  int32_t* changed, void* stream) {
  checkShape(heads, n, dim, clusters, "kmeansAssign");
  const Bf16* c = reinterpret_cast<const Bf16*>(centroidsBf16);
  const auto s = static_cast<cudaStream_t>(stream);
  if (type == PointType::kBFloat16)
    assignTyped(static_cast<const Bf16*>(points), heads, n, dim, c, norms, clusters, labels,
                changed, s);
  else
    assignTyped(static_cast<const float*>(points), heads, n, dim, c, norms, clusters, labels,
                changed, s);
}

namespace {

template <class T>
int kmeansTyped(const T* points, PointType type, int heads, int64_t n, int dim, int clusters,
                int iterations, bool warmStart, float* centroids, int64_t* labels, int64_t* sizes,
                void* workspace, cudaStream_t stream) {
  const KmeansScratch s = carveKmeans(workspace, heads, clusters, dim);
  const int64_t hc = static_cast<int64_t>(heads) * clusters;
  if (!warmStart) {
    seedKernel<<<gridFor(hc * dim, 256), 256, 0, stream>>>(points, n, clusters, dim, hc * dim,
                                                           centroids);
    SVGEN_CUDA_CHECK_LAUNCH("kmeans seedKernel");
  }
  kmeansPrepareCentroids(centroids, heads, clusters, dim,
                         reinterpret_cast<uint16_t*>(s.centroidsBf16), s.norms, stream);
  const int passes = std::max(1, iterations);
  int pass = 0;
  while (pass < passes) {
    const bool compare = pass > 0;
    if (compare) SVGEN_CUDA_CHECK(cudaMemsetAsync(s.changed, 0, sizeof(int32_t), stream));
    kmeansAssign(points, type, heads, n, dim, reinterpret_cast<uint16_t*>(s.centroidsBf16), s.norms,
                 clusters, labels, compare ? s.changed : nullptr, stream);
    ++pass;
    if (compare) {
      // The same assignment gives the same centroids: stop, as the ATen code does.
      int32_t changedHost = -1;
      SVGEN_CUDA_CHECK(cudaMemcpyAsync(&changedHost, s.changed, sizeof(int32_t),
                                       cudaMemcpyDeviceToHost, stream));
      SVGEN_CUDA_CHECK(cudaStreamSynchronize(stream));
      if (changedHost == 0) break;
    }
    SVGEN_CUDA_CHECK(cudaMemsetAsync(s.sums, 0, sizeof(float) * hc * dim, stream));
    SVGEN_CUDA_CHECK(cudaMemsetAsync(s.counts, 0, sizeof(int32_t) * hc, stream));
    const int64_t quads = static_cast<int64_t>(heads) * n * (dim / 4);
    accumulateKernel<<<gridFor(quads, 256), 256, 0, stream>>>(points, labels, n, clusters, dim,
                                                              quads, s.sums, s.counts);
    SVGEN_CUDA_CHECK_LAUNCH("kmeans accumulateKernel");
    finishCentroidsKernel<<<gridFor(hc * 32, 256), 256, 0, stream>>>(
        centroids, s.sums, s.counts, sizes, hc, dim, s.centroidsBf16, s.norms);
    SVGEN_CUDA_CHECK_LAUNCH("kmeans finishCentroidsKernel");
  }
  return pass;
}

}  // namespace

int kmeansCuda(const void* points, PointType type, int heads, int64_t n, int dim, int clusters,
               int iterations, bool warmStart, float* centroids, int64_t* labels, int64_t* sizes,
               void* workspace, void* stream) {
  checkShape(heads, n, dim, clusters, "kmeansCuda");
  const auto s = static_cast<cudaStream_t>(stream);
  if (type == PointType::kBFloat16)
    return kmeansTyped(static_cast<const Bf16*>(points), type, heads, n, dim, clusters, iterations,
                       warmStart, centroids, labels, sizes, workspace, s);
  return kmeansTyped(static_cast<const float*>(points), type, heads, n, dim, clusters, iterations,
                     warmStart, centroids, labels, sizes, workspace, s);
}

}  // namespace svgen::kernels
