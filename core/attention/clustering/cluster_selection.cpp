#include "core/attention/clustering/cluster_selection.h"

#include "core/attention/block_sparse.h"
#include "kernels/cuda/cuda_runtime_info.h"
#include "kernels/cuda/kmeans.h"

#include <ATen/ATen.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>

namespace svgen {

at::Tensor centroidLogits(const at::Tensor& queryCentroids, const at::Tensor& keyCentroids,
                          const at::Tensor& keySizes) {
  const double scale = 1.0 / std::sqrt(static_cast<double>(queryCentroids.size(-1)));
  at::Tensor s = at::matmul(queryCentroids, keyCentroids.transpose(1, 2)).mul_(scale);
  at::Tensor logSize = keySizes.to(at::kFloat).log();  // log 0 = −inf drops empty clusters
  return s + logSize.unsqueeze(1);
}

namespace {

// Rows of (sorted key-cluster index, keep) on the CPU, from a keep rule over the sorted weights.
template <class KeepRule>
void appendRows(BlockSparsePlan& plan, const at::Tensor& logits, KeepRule keepRule) {
  at::Tensor probs = at::softmax(logits.to(at::kFloat), -1);
  probs = at::where(at::isnan(probs), at::zeros_like(probs), probs);  // rows of only −inf
  auto sorted = at::sort(probs, /*dim=*/-1, /*descending=*/true);
  at::Tensor vals = std::get<0>(sorted);
  at::Tensor idx = std::get<1>(sorted);
  // Empty key clusters (−inf logits) never; everything else as the rule says.
  at::Tensor nonEmpty = at::isfinite(logits).gather(-1, idx);
  at::Tensor keep = (keepRule(vals, idx) & nonEmpty).to(at::kCPU).contiguous();
  idx = idx.to(at::kCPU, at::kLong).contiguous();
  const int64_t rows = logits.size(0) * logits.size(1), ck = logits.size(2);
  const bool* kp = keep.data_ptr<bool>();
  const int64_t* ip = idx.data_ptr<int64_t>();
  std::vector<int32_t> row;
  for (int64_t r = 0; r < rows; ++r) {
    row.clear();
    for (int64_t j = 0; j < ck; ++j)
      if (kp[r * ck + j]) row.push_back(static_cast<int32_t>(ip[r * ck + j]));
    std::sort(row.begin(), row.end());
    plan.appendRow(row);
  }
}

bool selectionOnKernels(const at::Tensor& logits) {
  return logits.is_cuda() && kernels::cudaKernelsCompiled() && logits.dim() == 3 &&
         logits.size(0) >= 1 && logits.size(1) >= 1 &&
         logits.size(0) * logits.size(1) * logits.size(2) <= std::numeric_limits<int32_t>::max() &&
         kernels::clusterSelectionSupports(static_cast<int>(logits.size(2)));
}

// The kernel packs every row's list on the device.
DeviceRows selectRowsKernels(const at::Tensor& logitsIn, const kernels::SelectionRule& rule) {
  const at::Tensor logits = logitsIn.to(at::kFloat).contiguous();
  const int64_t H = logits.size(0), cq = logits.size(1), ck = logits.size(2), rows = H * cq;
  const at::TensorOptions i32 = logits.options().dtype(at::kInt);
  at::Tensor offsets = at::empty({rows + 1}, i32);
  const at::Tensor blocks = at::empty({std::max<int64_t>(rows * ck, 1)}, i32);
  const size_t bytes = kernels::clusterSelectionWorkspaceBytes(
      static_cast<int>(H), static_cast<int>(cq), static_cast<int>(ck));
  const at::Tensor scratch = at::empty({static_cast<int64_t>(std::max<size_t>(bytes, 1))},
                                       logits.options().dtype(at::kByte));
  kernels::selectKeyClustersCuda(
      logits.data_ptr<float>(), static_cast<int>(H), static_cast<int>(cq), static_cast<int>(ck),
      rule, offsets.data_ptr<int32_t>(), blocks.data_ptr<int32_t>(), scratch.data_ptr(), nullptr);
  return {offsets, blocks};
}

// The plan takes the device lists in two copies.
void appendRowsKernels(BlockSparsePlan& plan, const at::Tensor& logits,
                       const kernels::SelectionRule& rule) {
  const DeviceRows d = selectRowsKernels(logits, rule);
  const int64_t rows = logits.size(0) * logits.size(1);
  const at::Tensor offsets = d.offsets.to(at::kCPU);
  const at::Tensor& blocks = d.keyBlocks;
  const int32_t* off = offsets.data_ptr<int32_t>();
  const at::Tensor kept = blocks.narrow(0, 0, off[rows]).to(at::kCPU);
  const int32_t base = static_cast<int32_t>(plan.keyBlocks.size());
  plan.keyBlocks.insert(plan.keyBlocks.end(), kept.data_ptr<int32_t>(),
                        kept.data_ptr<int32_t>() + kept.numel());
  for (int64_t r = 0; r < rows; ++r) plan.offsets.push_back(base + off[r + 1]);
}

kernels::SelectionRule topPRule(double topP, int minKeep) {
  kernels::SelectionRule rule;
  rule.kind = kernels::SelectionRule::kTopP;
  rule.topP = topP;
  rule.minKeep = minKeep;
  return rule;
}

bool budgetOnKernels(const at::Tensor& logits, const at::Tensor& keySizes) {
  return selectionOnKernels(logits) && keySizes.dim() == 2 && keySizes.size(0) == logits.size(0) &&
         keySizes.size(1) == logits.size(2);
}

// `sizes` must outlive the kernel's launch: the rule points into it.
kernels::SelectionRule budgetRule(const at::Tensor& sizes, double topP, double fraction) {
  kernels::SelectionRule rule;
  rule.kind = kernels::SelectionRule::kBudget;
  rule.topP = topP;
  rule.fraction = fraction;
  rule.keySizes = sizes.data_ptr<int64_t>();
  return rule;
}

}  // namespace

DeviceRows topPRowsOnDevice(const at::Tensor& logits, double topP, int minKeep) {
  if (!selectionOnKernels(logits)) return {};
  return selectRowsKernels(logits, topPRule(topP, minKeep));
}

DeviceRows budgetRowsOnDevice(const at::Tensor& logits, const at::Tensor& keySizes, double topP,
                              double fraction) {
  if (!budgetOnKernels(logits, keySizes)) return {};
  const at::Tensor sizes = keySizes.to(logits.device(), at::kLong).contiguous();
  return selectRowsKernels(logits, budgetRule(sizes, topP, fraction));
}

void appendTopPRows(BlockSparsePlan& plan, const at::Tensor& logits, double topP, int minKeep) {
  if (selectionOnKernels(logits)) return appendRowsKernels(plan, logits, topPRule(topP, minKeep));
  appendTopPRowsReference(plan, logits, topP, minKeep);
}

void appendTopPRowsReference(BlockSparsePlan& plan, const at::Tensor& logits, double topP,
                             int minKeep) {
  appendRows(plan, logits, [&](const at::Tensor& vals, const at::Tensor&) {
    at::Tensor before = at::cumsum(vals, -1) - vals;  // weight kept before this cluster
    at::Tensor rank = at::arange(vals.size(-1), vals.options().dtype(at::kLong));
    // top-p 1 keeps every cluster, even those whose weight rounds to 0 in float32.
    return (before < topP) | (rank < minKeep) | (topP >= 1.0);
  });
}

void appendBudgetRows(BlockSparsePlan& plan, const at::Tensor& logits, const at::Tensor& keySizes,
                      double topP, double fraction) {
  if (budgetOnKernels(logits, keySizes)) {
    const at::Tensor sizes = keySizes.to(logits.device(), at::kLong).contiguous();
    return appendRowsKernels(plan, logits, budgetRule(sizes, topP, fraction));
  }
  appendBudgetRowsReference(plan, logits, keySizes, topP, fraction);
}

void appendBudgetRowsReference(BlockSparsePlan& plan, const at::Tensor& logits,
                               const at::Tensor& keySizes, double topP, double fraction) {
  appendRows(plan, logits, [&](const at::Tensor& vals, const at::Tensor& idx) {
    at::Tensor before = at::cumsum(vals, -1) - vals;
    // Sizes in the sorted order of each row: keys already kept before this cluster.
    at::Tensor sizes = keySizes.to(at::kFloat).unsqueeze(1).expand_as(vals).gather(-1, idx);
    at::Tensor total = keySizes.to(at::kFloat).sum(-1, true).unsqueeze(-1).clamp_min(1);
    at::Tensor keptBefore = (at::cumsum(sizes, -1) - sizes) / total;
    return (before < topP) | (keptBefore < fraction) | (topP >= 1.0);
  });
}

}  // namespace svgen
