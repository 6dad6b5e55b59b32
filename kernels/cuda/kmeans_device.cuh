// Device helpers shared by the k-means, layout and cluster-selection kernels: block-wide scans and
// reductions, and carving one workspace allocation into typed arrays.
#pragma once
#include <cuda_runtime.h>

#include <cstddef>
#include <cstdint>

namespace svgen::kernels::detail {

constexpr unsigned kFullMask = 0xffffffffu;

// Workspace arrays start 256 bytes apart so vector loads and atomics on them stay aligned.
inline size_t alignUp(size_t bytes) {
  return (bytes + 255) / 256 * 256;
}

class WorkspaceCarver {
 public:
  explicit WorkspaceCarver(void* base) : next_(static_cast<char*>(base)) {}
  template <class T>
  T* take(size_t count) {
    T* p = reinterpret_cast<T*>(next_);
    next_ += alignUp(count * sizeof(T));
    return p;
  }

 private:
  char* next_;
};

template <class T>
__device__ __forceinline__ T warpInclusiveScan(T v) {
  const int lane = threadIdx.x & 31;
#pragma unroll
  for (int off = 1; off < 32; off <<= 1) {
    const T y = __shfl_up_sync(kFullMask, v, off);
    if (lane >= off) v += y;
  }
  return v;
}

// Exclusive prefix of v over the threads of the block in thread order, and the block's total.
// The exclusive value comes from the neighbour's inclusive one (no subtraction), so for floats
// it is a plain left-to-right-ish sum. `scratch` holds 33 values in shared memory. Every thread of
// the block must call it; blockDim.x is a multiple of 32.
template <class T>
__device__ T blockExclusiveScan(T v, T* scratch, T* total) {
  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5, warps = blockDim.x >> 5;
  const T incl = warpInclusiveScan(v);
  T excl = __shfl_up_sync(kFullMask, incl, 1);
  if (lane == 0) excl = T(0);
  if (lane == 31) scratch[warp] = incl;
  __syncthreads();
  if (warp == 0) {
    const T w = lane < warps ? scratch[lane] : T(0);
    const T wIncl = warpInclusiveScan(w);
    T wExcl = __shfl_up_sync(kFullMask, wIncl, 1);
    if (lane == 0) wExcl = T(0);
    if (lane < warps) scratch[lane] = wExcl;
    if (lane == warps - 1) scratch[32] = wIncl;
  }
  __syncthreads();
  const T out = scratch[warp] + excl;
  *total = scratch[32];
  __syncthreads();  // scratch may be reused right after
  return out;
}

template <class T>
__device__ T blockSum(T v, T* scratch) {
  T total;
  blockExclusiveScan(v, scratch, &total);
  return total;
}

__device__ __forceinline__ float warpMax(float v) {
#pragma unroll
  for (int off = 16; off > 0; off >>= 1) v = fmaxf(v, __shfl_xor_sync(kFullMask, v, off));
  return v;
}

// `scratch` holds 33 floats in shared memory; every thread of the block must call it.
__device__ inline float blockMax(float v, float* scratch) {
  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5, warps = blockDim.x >> 5;
  v = warpMax(v);
  if (lane == 0) scratch[warp] = v;
  __syncthreads();
  if (warp == 0) {
    float w = lane < warps ? scratch[lane] : -INFINITY;
    w = warpMax(w);
    if (lane == 0) scratch[32] = w;
  }
  __syncthreads();
  const float out = scratch[32];
  __syncthreads();
  return out;
}

}  // namespace svgen::kernels::detail
