// Key-cluster selection on the GPU (SVG2's top-p rule and SVOO's budget rule): one block per
// (head, query cluster) row sorts the row's softmax weights in shared memory and decides, then a
// scan and one warp per row pack the kept clusters, ascending, into one list.
#include "kernels/cuda/cuda_check.h"
#include "kernels/cuda/kmeans.h"
#include "kernels/cuda/kmeans_device.cuh"

#include <stdexcept>
#include <string>

namespace svgen::kernels {
namespace {

using detail::kFullMask;

constexpr int kMaxKeyClusters = 4096;  // 32 KiB of sort keys per block
constexpr int kRowThreads = 256;

struct RowRule {
  int kind;
  bool keepAll;  // topP >= 1, decided in double as the ATen code does
  float topP;    // ATen compares the float tensors with the scalar cast to float
  int minKeep;
  float fraction;
  const int64_t* keySizes;
};

// Sort key: weight descending (the bits of a non-negative float order like the float), then
// cluster index ascending; padding (all ones) sorts last.
__device__ __forceinline__ uint64_t sortKey(float weight, int index) {
  return (static_cast<uint64_t>(~__float_as_uint(weight)) << 32) | static_cast<uint32_t>(index);
}
__device__ __forceinline__ float weightOf(uint64_t key) {
  return __uint_as_float(~static_cast<uint32_t>(key >> 32));
}

// One block per row. flags[row][j] = whether key cluster j is kept; counts[row] = how many.
__global__ void __launch_bounds__(kRowThreads)
    selectRowsKernel(const float* __restrict__ logits, int queryClusters, int keyClusters,
                     int sortSize, RowRule rule, uint8_t* __restrict__ flags,
                     int32_t* __restrict__ counts) {
  extern __shared__ __align__(8) unsigned char shared[];
  uint64_t* keys = reinterpret_cast<uint64_t*>(shared);
  float* rowLogits = reinterpret_cast<float*>(keys + sortSize);
  __shared__ float scratchF[33];
  __shared__ int64_t scratchL[33];
  __shared__ int32_t scratchI[33];

  const int64_t row = blockIdx.x;
  const int64_t h = row / queryClusters;
  const float* in = logits + row * keyClusters;
  const int ck = keyClusters;

  float localMax = -INFINITY;
  int sawNan = 0;
  for (int j = threadIdx.x; j < ck; j += blockDim.x) {
    const float v = in[j];
    rowLogits[j] = v;
    if (isnan(v))
      sawNan = 1;
    else
      localMax = fmaxf(localMax, v);
  }
  const float rowMax = detail::blockMax(localMax, scratchF);
  // softmax over a row with a NaN, or whose maximum is ±inf, is NaN everywhere; ATen's caller
  // turns that into weight 0 for every cluster.
  const bool degenerate = __syncthreads_or(sawNan) || !isfinite(rowMax);

  float localSum = 0.f;
  if (!degenerate)
    for (int j = threadIdx.x; j < ck; j += blockDim.x) localSum += expf(rowLogits[j] - rowMax);
  const float sum = detail::blockSum(localSum, scratchF);

  for (int j = threadIdx.x; j < sortSize; j += blockDim.x) {
    if (j < ck) {
      const float w = degenerate ? 0.f : expf(rowLogits[j] - rowMax) / sum;
      keys[j] = sortKey(w, j);
    } else {
      keys[j] = ~0ull;
    }
  }
  __syncthreads();

  // Bitonic sort, ascending by key.
  for (int k = 2; k <= sortSize; k <<= 1)
    for (int stride = k >> 1; stride > 0; stride >>= 1) {
      for (int i = threadIdx.x; i < sortSize; i += blockDim.x) {
        const int partner = i ^ stride;
        if (partner > i) {
          const uint64_t a = keys[i], b = keys[partner];
          const bool ascending = (i & k) == 0;
          if ((a > b) == ascending) {
            keys[i] = b;
            keys[partner] = a;
          }
        }
      }
      __syncthreads();
    }

  // Each thread owns a run of sorted positions: the weight kept before a position is the
  // inclusive cumulative weight minus its own (as cumsum(vals) − vals in the ATen code).
  const int span = (ck + blockDim.x - 1) / blockDim.x;
  const int lo = min(ck, static_cast<int>(threadIdx.x) * span), hi = min(ck, lo + span);
  const int64_t* sizes = rule.keySizes != nullptr ? rule.keySizes + h * ck : nullptr;
  float runWeight = 0.f;
  int64_t runKeys = 0;
  for (int r = lo; r < hi; ++r) {
    runWeight += weightOf(keys[r]);
    if (sizes != nullptr) runKeys += sizes[static_cast<uint32_t>(keys[r])];
  }
  float totalWeight;
  runWeight = detail::blockExclusiveScan(runWeight, scratchF, &totalWeight);
  int64_t allKeys = 0;
  if (sizes != nullptr) {
    runKeys = detail::blockExclusiveScan(runKeys, scratchL, &allKeys);
  }
  const float keyTotal = fmaxf(static_cast<float>(allKeys), 1.f);

  int32_t kept = 0;
  for (int r = lo; r < hi; ++r) {
    const int index = static_cast<int>(static_cast<uint32_t>(keys[r]));
    const float w = weightOf(keys[r]);
    runWeight += w;
    const float before = runWeight - w;
    bool keep = rule.keepAll || before < rule.topP;
    if (rule.kind == SelectionRule::kTopP) {
      keep = keep || r < rule.minKeep;
    } else {
      const int64_t size = sizes[index];
      runKeys += size;
      // Sizes are whole numbers far below 2^24, so these floats are exact, as in the ATen code.
      const float keptBefore = static_cast<float>(runKeys - size) / keyTotal;
      keep = keep || keptBefore < rule.fraction;
    }
    keep = keep && isfinite(rowLogits[index]);
    flags[row * ck + index] = keep ? 1 : 0;
    kept += keep ? 1 : 0;
  }
  const int32_t rowKept = detail::blockSum(kept, scratchI);
  if (threadIdx.x == 0) counts[row] = rowKept;
}

// One block: offsets[0] = 0, offsets[r + 1] = counts[0] + … + counts[r].
__global__ void rowOffsetsKernel(const int32_t* __restrict__ counts, int64_t rows,
                                 int32_t* __restrict__ offsets) {
  __shared__ int32_t scratch[33];
  const int64_t span = (rows + blockDim.x - 1) / blockDim.x;
  const int64_t lo = min(rows, threadIdx.x * span), hi = min(rows, lo + span);
  int32_t local = 0;
  for (int64_t i = lo; i < hi; ++i) local += counts[i];
  int32_t total = 0;
  int32_t running = detail::blockExclusiveScan(local, scratch, &total);
  for (int64_t i = lo; i < hi; ++i) {
    running += counts[i];
    offsets[i + 1] = running;
  }
  if (threadIdx.x == 0) offsets[0] = 0;
}

// One warp per row: the kept clusters in index order.
__global__ void packRowsKernel(const uint8_t* __restrict__ flags, int64_t rows, int keyClusters,
                               const int32_t* __restrict__ offsets, int32_t* __restrict__ blocks) {
  const int64_t row = (static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x) >> 5;
  const int lane = threadIdx.x & 31;
  if (row >= rows) return;  // whole warps leave together
  int32_t* out = blocks + offsets[row];
  const unsigned below = (1u << lane) - 1;
  int written = 0;
  for (int base = 0; base < keyClusters; base += 32) {
    const int j = base + lane;
    const bool keep = j < keyClusters && flags[row * keyClusters + j] != 0;
    const unsigned mask = __ballot_sync(kFullMask, keep);
    if (keep) out[written + __popc(mask & below)] = j;
    written += __popc(mask);
  }
}

int sortSizeFor(int keyClusters) {
  int p = 1;
  while (p < keyClusters) p <<= 1;
  return p;
}

}  // namespace

bool clusterSelectionSupports(int keyClusters) {
  return keyClusters >= 1 && keyClusters <= kMaxKeyClusters;
}

size_t clusterSelectionWorkspaceBytes(int heads, int queryClusters, int keyClusters) {
  const size_t rows = static_cast<size_t>(heads) * queryClusters;
  return detail::alignUp(rows * keyClusters) + detail::alignUp(rows * sizeof(int32_t));
}

void selectKeyClustersCuda(const float* logits, int heads, int queryClusters, int keyClusters,
                           const SelectionRule& rule, int32_t* rowOffsets, int32_t* keyBlocks,
                           void* workspace, void* stream) {
  const int64_t rows = static_cast<int64_t>(heads) * queryClusters;
  if (heads < 1 || queryClusters < 1 || rows > INT32_MAX || !clusterSelectionSupports(keyClusters))
    throw std::invalid_argument("selectKeyClustersCuda: unsupported shape (heads " +
                                std::to_string(heads) + ", query clusters " +
                                std::to_string(queryClusters) + ", key clusters " +
                                std::to_string(keyClusters) + ")");
  if (rows * keyClusters > INT32_MAX)
    throw std::invalid_argument("selectKeyClustersCuda: more entries than int32 offsets hold");
  if (rule.kind == SelectionRule::kBudget && rule.keySizes == nullptr)
    throw std::invalid_argument("selectKeyClustersCuda: the budget rule needs key cluster sizes");
  const auto s = static_cast<cudaStream_t>(stream);
  detail::WorkspaceCarver carve(workspace);
  uint8_t* flags = carve.take<uint8_t>(static_cast<size_t>(rows) * keyClusters);
  int32_t* counts = carve.take<int32_t>(rows);

  RowRule r;
  r.kind = rule.kind;
  r.keepAll = rule.topP >= 1.0;
  r.topP = static_cast<float>(rule.topP);
  r.minKeep = rule.minKeep;
  r.fraction = static_cast<float>(rule.fraction);
  r.keySizes = rule.kind == SelectionRule::kBudget ? rule.keySizes : nullptr;
  const int sortSize = sortSizeFor(keyClusters);
  const size_t shared = sizeof(uint64_t) * sortSize + sizeof(float) * keyClusters;
  SVGEN_CUDA_CHECK(cudaFuncSetAttribute(
      selectRowsKernel, cudaFuncAttributeMaxDynamicSharedMemorySize, static_cast<int>(shared)));
  selectRowsKernel<<<static_cast<unsigned>(rows), kRowThreads, shared, s>>>(
      logits, queryClusters, keyClusters, sortSize, r, flags, counts);
  SVGEN_CUDA_CHECK_LAUNCH("selectRowsKernel");
  rowOffsetsKernel<<<1, 1024, 0, s>>>(counts, rows, rowOffsets);
  SVGEN_CUDA_CHECK_LAUNCH("rowOffsetsKernel");
  packRowsKernel<<<static_cast<unsigned>((rows * 32 + 255) / 256), 256, 0, s>>>(
      flags, rows, keyClusters, rowOffsets, keyBlocks);
  SVGEN_CUDA_CHECK_LAUNCH("packRowsKernel");
}

}  // namespace svgen::kernels
