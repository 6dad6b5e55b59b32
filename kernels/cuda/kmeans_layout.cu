// Cluster layout on the GPU: a stable counting sort of each head's labels. Tokens are cut into
// chunks; per chunk a histogram, one scan over (cluster, chunk) gives every chunk's first slot in
// every cluster, and one warp per chunk places its tokens in token order.
#include "kernels/cuda/cuda_check.h"
#include "kernels/cuda/kmeans.h"
#include "kernels/cuda/kmeans_device.cuh"

#include <stdexcept>
#include <string>

namespace svgen::kernels {
namespace {

using detail::kFullMask;

constexpr int kChunk = 1024;              // tokens per chunk
constexpr int kMaxLayoutClusters = 8192;  // one int counter per cluster in shared memory
constexpr int kScanThreads = 1024;

int64_t chunksOf(int64_t n) {
  return (n + kChunk - 1) / kChunk;
}

// grid (chunks, heads). counts[h][c][chunk] = tokens of cluster c in the chunk; labels outside
// [0, C) are left out.
__global__ void chunkHistogramKernel(const int64_t* __restrict__ labels, int64_t n, int clusters,
                                     int64_t chunks, int32_t* __restrict__ counts) {
  extern __shared__ int32_t histogram[];
  for (int c = threadIdx.x; c < clusters; c += blockDim.x) histogram[c] = 0;
  __syncthreads();
  const int64_t h = blockIdx.y, begin = static_cast<int64_t>(blockIdx.x) * kChunk;
  const int64_t end = min(n, begin + kChunk);
  for (int64_t i = begin + threadIdx.x; i < end; i += blockDim.x) {
    const int64_t label = labels[h * n + i];
    if (label >= 0 && label < clusters) atomicAdd(&histogram[label], 1);
  }
  __syncthreads();
  for (int c = threadIdx.x; c < clusters; c += blockDim.x)
    counts[(h * clusters + c) * chunks + blockIdx.x] = histogram[c];
}

// One block per head: counts → exclusive prefix in (cluster, chunk) order, i.e. the first slot of
// each chunk's tokens of each cluster; starts[h][c] is chunk 0's slot of cluster c.
__global__ void chunkOffsetsKernel(int32_t* __restrict__ counts, int clusters, int64_t chunks,
                                   int32_t* __restrict__ starts) {
  __shared__ int32_t scratch[33];
  const int64_t perHead = clusters * chunks;
  int32_t* data = counts + blockIdx.x * perHead;
  const int64_t span = (perHead + blockDim.x - 1) / blockDim.x;
  const int64_t lo = min(perHead, threadIdx.x * span), hi = min(perHead, lo + span);
  int32_t local = 0;
  for (int64_t i = lo; i < hi; ++i) local += data[i];
  int32_t total = 0;
  int32_t running = detail::blockExclusiveScan(local, scratch, &total);
  for (int64_t i = lo; i < hi; ++i) {
    const int32_t v = data[i];
    data[i] = running;
    running += v;
  }
  __syncthreads();
  int32_t* s = starts + static_cast<int64_t>(blockIdx.x) * (clusters + 1);
  for (int c = threadIdx.x; c < clusters; c += blockDim.x) s[c] = data[c * chunks];
  if (threadIdx.x == 0) s[clusters] = total;
}

// grid (chunks, heads), one warp: tokens of the chunk in order, 32 at a time; lanes with the same
// label take consecutive slots by lane order, after the slots earlier rounds took.
__global__ void chunkScatterKernel(const int64_t* __restrict__ labels, int64_t n, int clusters,
                                   int64_t chunks, const int32_t* __restrict__ offsets,
                                   int64_t* __restrict__ perm) {
  extern __shared__ int32_t next[];
  const int64_t h = blockIdx.y, chunk = blockIdx.x;
  const int lane = threadIdx.x;
  for (int c = lane; c < clusters; c += 32) next[c] = offsets[(h * clusters + c) * chunks + chunk];
  __syncwarp();
  const int64_t begin = chunk * kChunk, end = min(n, begin + kChunk);
  const unsigned below = (1u << lane) - 1;
  for (int64_t base = begin; base < end; base += 32) {
    const int64_t i = base + lane;
    int64_t label = i < end ? labels[h * n + i] : -1;
    if (label >= clusters) label = -1;
    const unsigned peers = __match_any_sync(kFullMask, static_cast<unsigned long long>(label));
    const int leader = __ffs(peers) - 1;
    int32_t slot = 0;
    if (lane == leader && label >= 0) {
      slot = next[label];
      next[label] = slot + __popc(peers);
    }
    slot = __shfl_sync(kFullMask, slot, leader);
    if (label >= 0) perm[h * n + slot + __popc(peers & below)] = i;
    __syncwarp();
  }
}

}  // namespace

bool clusterLayoutSupports(int clusters) {
  return clusters >= 1 && clusters <= kMaxLayoutClusters;
}

size_t clusterLayoutWorkspaceBytes(int heads, int64_t n, int clusters) {
  return detail::alignUp(sizeof(int32_t) * heads * clusters * chunksOf(n));
}

void clusterLayoutCuda(const int64_t* labels, int heads, int64_t n, int clusters, int64_t* perm,
                       int32_t* starts, void* workspace, void* stream) {
  if (heads < 1 || heads > 65535 || n < 1 || n > INT32_MAX || !clusterLayoutSupports(clusters))
    throw std::invalid_argument("clusterLayoutCuda: unsupported shape (heads " +
                                std::to_string(heads) + ", n " + std::to_string(n) + ", clusters " +
                                std::to_string(clusters) + ")");
  const auto s = static_cast<cudaStream_t>(stream);
  const int64_t chunks = chunksOf(n);
  int32_t* counts = static_cast<int32_t*>(workspace);
  const dim3 grid(static_cast<unsigned>(chunks), heads);
  const size_t shared = sizeof(int32_t) * clusters;
  chunkHistogramKernel<<<grid, 256, shared, s>>>(labels, n, clusters, chunks, counts);
  SVGEN_CUDA_CHECK_LAUNCH("clusterLayout chunkHistogramKernel");
  chunkOffsetsKernel<<<heads, kScanThreads, 0, s>>>(counts, clusters, chunks, starts);
  SVGEN_CUDA_CHECK_LAUNCH("clusterLayout chunkOffsetsKernel");
  chunkScatterKernel<<<grid, 32, shared, s>>>(labels, n, clusters, chunks, counts, perm);
  SVGEN_CUDA_CHECK_LAUNCH("clusterLayout chunkScatterKernel");
}

}  // namespace svgen::kernels
