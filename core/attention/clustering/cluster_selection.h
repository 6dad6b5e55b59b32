// Choosing which key clusters each query cluster attends to (SVG2 and SVOO share it).
#pragma once
#include <ATen/core/Tensor.h>

namespace svgen {

struct BlockSparsePlan;

// Centroid logits (heads, Cq, Ck): S = c_q · c_kᵀ / √d + log |key cluster| (−inf for an empty
// key cluster), so a cluster's softmax weight approximates the attention mass of all its keys.
at::Tensor centroidLogits(const at::Tensor& queryCentroids, const at::Tensor& keyCentroids,
                          const at::Tensor& keySizes);

// For every (head, query cluster) row of `logits`, keeps key clusters in descending softmax
// weight until the kept weight reaches topP, and at least minKeep of them (never an empty
// cluster). Appends each row, ascending, to `plan` (whose blocks are the clusters).
// On CUDA a kernel decides each row (kernels/cuda/kmeans.h); its float32 cumulative sums round
// differently, so a cluster whose kept-before weight is within ~1e-6 of topP may go either way.
void appendTopPRows(BlockSparsePlan& plan, const at::Tensor& logits, double topP, int minKeep);
void appendTopPRowsReference(BlockSparsePlan& plan, const at::Tensor& logits, double topP,
                             int minKeep);

// Keeps, per row, the fewest key clusters whose sizes add up to at least `fraction` of the keys
// and whose weight reaches topP: SVOO's per-layer budget on top of SVG2's rule.
void appendBudgetRows(BlockSparsePlan& plan, const at::Tensor& logits, const at::Tensor& keySizes,
                      double topP, double fraction);
void appendBudgetRowsReference(BlockSparsePlan& plan, const at::Tensor& logits,
                               const at::Tensor& keySizes, double topP, double fraction);

// The same choices kept on the device, for plans that never leave the GPU: row offsets
// (heads·Cq + 1, int32, from 0) and each row's key clusters (int32, ascending; the tensor may be
// longer than offsets' last value). Both undefined where the CUDA kernels do not apply.
struct DeviceRows {
  at::Tensor offsets, keyBlocks;
  bool defined() const { return offsets.defined(); }
};
DeviceRows topPRowsOnDevice(const at::Tensor& logits, double topP, int minKeep);
DeviceRows budgetRowsOnDevice(const at::Tensor& logits, const at::Tensor& keySizes, double topP,
                              double fraction);

}  // namespace svgen
