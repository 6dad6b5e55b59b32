// Tiled CPU attention (dense and block-sparse) on raw float32 pointers. No LibTorch, no Qt.
#pragma once

#include <cstdint>

namespace svgen::kernels {

// q: [batchHeads][queryLen][headDim], k and v: [batchHeads][keyLen][headDim],
// out: [batchHeads][queryLen][headDim]; all float32, contiguous. headDim must be even and <= 256.
struct AttentionShape {
  int batchHeads = 0;
  int queryLen = 0;
  int keyLen = 0;
  int headDim = 0;
};

// Exact softmax(q kᵀ · scale) v with an online softmax: no queryLen × keyLen score matrix is
// materialised. Threads (OpenMP, omp_get_max_threads) over (head, query tile).
void attentionDenseF32(const float* q, const float* k, const float* v, float* out,
                       const AttentionShape& s, float scale);

// Block-sparse attention. Queries are grouped in blocks of `queryBlock` rows and keys in blocks of
// `keyBlock` rows; the last block of either may be partial. For head h and query block i,
// keyBlocks[offsets[h * numQueryBlocks + i] .. offsets[h * numQueryBlocks + i + 1]) lists the
// key-block indices it attends to, sorted ascending (numQueryBlocks = ceil(queryLen / queryBlock)).
// A query block with an empty list outputs zeros. Out-of-range key-block indices are ignored.
// Returns the number of (query block, key block) pairs computed: the density numerator.
// Throws std::invalid_argument on a bad shape or block size.
int64_t attentionBlockSparseF32(const float* q, const float* k, const float* v, float* out,
                                const AttentionShape& s, float scale, int queryBlock, int keyBlock,
                                const int32_t* offsets, const int32_t* keyBlocks);

// The instruction set the two functions above use: "avx512", "avx2" or "scalar". Chosen per call
// from what the CPU supports; the environment variable SVGEN_CPU_ISA=avx2|scalar selects a lower
// one (for testing and comparison). A request the CPU cannot run falls back to the best it can.
const char* attentionCpuIsa();

}  // namespace svgen::kernels
