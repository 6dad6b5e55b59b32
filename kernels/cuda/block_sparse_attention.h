// Block-sparse attention forward on CUDA: bf16 q, k, v, fp32 accumulation, online softmax, head
// dimension 64 or 128. One layout serves SVG's fixed blocks and SVG2/SVOO's variable clusters:
// blocks are ranges of a per-head logical order of the tokens (the same layout as the CPU kernel's
// BlockSparseLayout), and the orders are applied while loading and storing, so the permutation
// costs no pass of its own. Plain C++ header: raw device pointers, no CUDA or LibTorch types.
#pragma once
#include <cstddef>
#include <cstdint>

namespace svgen::kernels {

// A bf16 tensor of `heads` = batch × headsPerBatch heads: element (h, token, c) sits at
// data + (h / headsPerBatch) * batchStride + (h % headsPerBatch) * headStride + token * rowStride
// + c. Head-major (heads, L, d) is {L·d·hpb, L·d, d}; the model's (B, L, H, d) is {L·H·d, d, H·d}.
struct Bf16Strides {
  int64_t batchStride = 0;
  int64_t headStride = 0;
  int64_t rowStride = 0;
};

// Device pointers, all int32. For head h: query block i covers logical positions
// queryStarts[h·(numQueryBlocks+1) + i] .. [+1), likewise keys; it attends to the key blocks
// keyBlocks[offsets[h·numQueryBlocks + i] .. offsets[h·numQueryBlocks + i + 1]).
// queryOrder[h·queryLen
// + p] is the token at logical position p (null: the identity), likewise keyOrder.
struct BlockSparseDeviceLayout {
  int heads = 0;
  int headsPerBatch = 1;
  int queryLen = 0;
  int keyLen = 0;
  int numQueryBlocks = 0;
  int numKeyBlocks = 0;
  const int32_t* queryStarts = nullptr;
  const int32_t* keyStarts = nullptr;
  const int32_t* offsets = nullptr;
  const int32_t* keyBlocks = nullptr;
  const int32_t* queryOrder = nullptr;
  const int32_t* keyOrder = nullptr;
};

// Which compute path: Auto takes wgmma where it applies (head dim 128, either query tile, built for
// sm_90a) and mma.sync elsewhere. The others force one (the selftest checks each).
enum class BlockSparseVariant { Auto, MmaSync, Wgmma };

struct BlockSparseCudaArgs {
  const void* q = nullptr;  // bf16
  const void* k = nullptr;
  const void* v = nullptr;
  void* out = nullptr;  // bf16; every row is written (rows with nothing to attend to get zeros)
  Bf16Strides qStrides, kStrides, vStrides, outStrides;
  int headDim = 128;  // 64 or 128
  float scale = 0;    // softmax scale, usually 1/√headDim
  BlockSparseDeviceLayout layout;
  // Device scratch of blockSparseWorkspaceBytes(layout) bytes.
  void* workspace = nullptr;
  // Optional device counter: the kernel adds the query × key score entries it computed.
  unsigned long long* scoresComputed = nullptr;
  void* stream = nullptr;  // cudaStream_t; null: the default stream
  int queryTile = 0;       // 64 or 128 query rows per CTA; 0: blockSparseQueryTile(layout)
  BlockSparseVariant variant = BlockSparseVariant::Auto;
};

// Whether this build has the wgmma path (nvcc ≥ 12 targeting sm_90a).
bool blockSparseHasWgmma();

inline size_t blockSparseWorkspaceBytes(const BlockSparseDeviceLayout& layout) {
  return static_cast<size_t>(layout.heads) * (layout.numQueryBlocks + 1) * sizeof(int32_t);
}

// Query rows per tile the kernel will use for this layout (64 or 128): small clusters get the
// smaller tile so that less of each tile is padding, unless the wgmma path (tile 128) applies,
// which is fast enough to pay for more padding.
int blockSparseQueryTile(const BlockSparseDeviceLayout& layout, int headDim);

// Enqueues the attention; throws std::runtime_error on bad arguments or a CUDA error.
void blockSparseAttentionCuda(const BlockSparseCudaArgs& args);

}  // namespace svgen::kernels
