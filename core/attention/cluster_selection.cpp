#include "core/attention/cluster_selection.h"

#include "core/attention/block_sparse.h"

#include <ATen/ATen.h>

#include <algorithm>
#include <cmath>
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

}  // namespace

void appendTopPRows(BlockSparsePlan& plan, const at::Tensor& logits, double topP, int minKeep) {
  appendRows(plan, logits, [&](const at::Tensor& vals, const at::Tensor&) {
    at::Tensor before = at::cumsum(vals, -1) - vals;  // weight kept before this cluster
    at::Tensor rank = at::arange(vals.size(-1), vals.options().dtype(at::kLong));
    // top-p 1 keeps every cluster, even those whose weight rounds to 0 in float32.
    return (before < topP) | (rank < minKeep) | (topP >= 1.0);
  });
}

void appendBudgetRows(BlockSparsePlan& plan, const at::Tensor& logits, const at::Tensor& keySizes,
                      double topP, double fraction) {
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
