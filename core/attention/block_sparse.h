// Block-sparse attention over head-major tensors: the shared compute step of every sparse method.
// Blocks may differ in size and per head (clusters after permutation); SVG's are uniform.
#pragma once
#include "kernels/cuda/block_sparse_attention.h"

#include <ATen/core/Tensor.h>

#include <cstdint>
#include <vector>

namespace svgen {

// For `heads` heads (batch × heads flattened): query block i of head h covers rows
// queryStarts[h * (numQueryBlocks + 1) + i] .. [+1), likewise keys; query block i of head h
// attends to keyBlocks[offsets[h * numQueryBlocks + i] .. offsets[... + 1]). Blocks are ranges of
// a logical order of the tokens: queryOrder[h * queryLen + i] is the token at logical position i
// (empty: token order), likewise keyOrder; the kernel applies them while packing, for free.
struct BlockSparsePlan {
  int64_t heads = 0;
  int64_t queryLen = 0;
  int64_t keyLen = 0;
  int numQueryBlocks = 0;
  int numKeyBlocks = 0;
  std::vector<int32_t> queryStarts;
  std::vector<int32_t> keyStarts;
  std::vector<int32_t> offsets{0};
  std::vector<int32_t> keyBlocks;
  std::vector<int32_t> queryOrder;
  std::vector<int32_t> keyOrder;

  // Uniform blocks (the last may be partial) with empty lists; fill them with appendRow.
  static BlockSparsePlan uniform(int64_t heads, int64_t queryLen, int64_t keyLen, int queryBlock,
                                 int keyBlock);
  // Appends the key-block list of the next (head, query block) row, in order.
  void appendRow(const std::vector<int32_t>& blocks);
  bool complete() const {
    return static_cast<int64_t>(offsets.size()) == heads * numQueryBlocks + 1;
  }
  // Query × key score entries the plan computes, and all entries (heads × queryLen × keyLen).
  int64_t scoresComputed() const;
  double density() const;
  // Whether (query, key) at logical positions of head h is computed: for tests and profiling.
  bool keeps(int64_t head, int64_t query, int64_t key) const;
};

// The same plan with `tail` more keys after keyLen, kept for every query block as one more key
// block (numKeyBlocks), in token order: HunyuanVideo's text tokens, which stay dense whatever a
// method keeps of the video's.
BlockSparsePlan withDenseKeyTail(const BlockSparsePlan& plan, int64_t tail);
// The same on a plan's key-side tensors in BlockSparsePlan's layout (int32, any device; keyOrder
// may be undefined: token order), for plans built on the GPU. keyBlocks may hold unused entries
// past offsets' last value, as the device builders leave them.
struct KeyTailPlan {
  at::Tensor keyStarts, offsets, keyBlocks, keyOrder;
};
KeyTailPlan withDenseKeyTail(int64_t heads, int numQueryBlocks, int numKeyBlocks, int64_t keyLen,
                             const at::Tensor& keyStarts, const at::Tensor& offsets,
                             const at::Tensor& keyBlocks, const at::Tensor& keyOrder, int64_t tail);

// q: (heads, queryLen, d), k and v: (heads, keyLen, d), in token order; so is the result. CPU
// float32 runs the tiled kernel (which skips what the plan drops), CUDA bf16 the CUDA kernel;
// anything else runs blockSparseReference.
at::Tensor blockSparseAttention(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v,
                                const BlockSparsePlan& plan);

// The CUDA kernel (kernels/cuda/block_sparse_attention.h): q, k, v bf16 on a CUDA device, head
// dimension 64 or 128, in (heads, L, d) with unit stride along d. blockSparseAttention calls it
// whenever blockSparseCudaSupports says yes.
bool blockSparseCudaSupports(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v);
// A plan's arrays on a CUDA device, reusable while the plan holds: uploaded from a host plan (one
// copy), or assembled from int32 device tensors in BlockSparsePlan's layout (orders may be
// undefined: token order) by methods that build their plans on the GPU.
struct DeviceBlockSparsePlan {
  std::vector<at::Tensor> storage;
  kernels::BlockSparseDeviceLayout layout;
  int64_t scores = 0;  // score entries the plan computes
};
DeviceBlockSparsePlan uploadBlockSparsePlan(const BlockSparsePlan& plan, const at::Device& device);
DeviceBlockSparsePlan makeDeviceBlockSparsePlan(
    int64_t heads, int64_t queryLen, int64_t keyLen, int numQueryBlocks, int numKeyBlocks,
    const at::Tensor& queryStarts, const at::Tensor& keyStarts, const at::Tensor& offsets,
    const at::Tensor& keyBlocks, const at::Tensor& queryOrder, const at::Tensor& keyOrder,
    int64_t scores);

struct BlockSparseCudaOptions {
  int queryTile = 0;  // 64 or 128; 0: the kernel's choice
  kernels::BlockSparseVariant variant = kernels::BlockSparseVariant::Auto;
  // When given, receives the score entries the kernel itself counted (this waits for it).
  int64_t* scoresCounted = nullptr;
  at::Tensor out;  // when defined (contiguous, like q), written instead of a new tensor
};
at::Tensor blockSparseAttentionCuda(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v,
                                    const DeviceBlockSparsePlan& plan,
                                    const BlockSparseCudaOptions& options = {});
at::Tensor blockSparseAttentionCuda(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v,
                                    const BlockSparsePlan& plan,
                                    const BlockSparseCudaOptions& options = {});

// The same result from dense masked softmax in query chunks, with ATen only: the reference the
// kernel is tested against, and the GPU path until CUDA kernels exist. Rows with nothing to
// attend to are zero.
at::Tensor blockSparseReference(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v,
                                const BlockSparsePlan& plan);

}  // namespace svgen
