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

// Block-sparse attention with blocks of any size, different per head (SVG2/SVOO clusters after
// permutation are blocks of varying size; SVG's are uniform). For head h, query block i covers rows
// queryStarts[h * (numQueryBlocks + 1) + i] .. [+ 1), and key block j covers keys
// keyStarts[h * (numKeyBlocks + 1) + j] .. [+ 1); each starts array ascends from 0 to the length
// (empty blocks allowed). Query block i of head h attends to the key blocks
// keyBlocks[offsets[h * numQueryBlocks + i] .. offsets[h * numQueryBlocks + i + 1]), each listed
// once. A query block with an empty list outputs zeros.
//
// Blocks are ranges of a logical order of the rows. queryOrder/keyOrder (batchHeads × length, or
// null for the identity) give, for logical position i of head h, the row of q (and of out) or of
// k and v it stands for: a permutation (SVG's layout transform, SVG2's clusters) is applied while
// rows are packed into tiles, so it costs no extra pass over memory. Each must be a permutation.
struct BlockSparseLayout {
  int numQueryBlocks = 0;
  int numKeyBlocks = 0;
  const int32_t* queryStarts = nullptr;
  const int32_t* keyStarts = nullptr;
  const int32_t* offsets = nullptr;
  const int32_t* keyBlocks = nullptr;
  const int32_t* queryOrder = nullptr;
  const int32_t* keyOrder = nullptr;
};

// What the kernel computed: block pairs, and query × key score entries (the density numerator
// against queryLen × keyLen per head).
struct BlockSparseCount {
  int64_t blockPairs = 0;
  int64_t scores = 0;
};

// Throws std::invalid_argument on a bad shape or an inconsistent layout (starts not ascending
// from 0 to the length, offsets not ascending, a key-block index out of range).
BlockSparseCount attentionBlockSparseF32(const float* q, const float* k, const float* v, float* out,
                                         const AttentionShape& s, float scale,
                                         const BlockSparseLayout& layout);

// Uniform blocks: queryBlock rows and keyBlock keys each, the last of either may be partial; the
// same lists as above with numQueryBlocks = ceil(queryLen / queryBlock).
BlockSparseCount attentionBlockSparseUniformF32(const float* q, const float* k, const float* v,
                                                float* out, const AttentionShape& s, float scale,
                                                int queryBlock, int keyBlock,
                                                const int32_t* offsets, const int32_t* keyBlocks);

// The instruction set the two functions above use: "avx512", "avx2" or "scalar". Chosen per call
// from what the CPU supports; the environment variable SVGEN_CPU_ISA=avx2|scalar selects a lower
// one (for testing and comparison). A request the CPU cannot run falls back to the best it can.
const char* attentionCpuIsa();

}  // namespace svgen::kernels
