#include "core/attention/attention_recorder.h"

#include "core/attention/block_sparse.h"
#include "core/common/error.h"
#include "core/io/atomic_file.h"

#include <ATen/ATen.h>

#include <algorithm>
#include <cmath>
#include <cstring>

namespace svgen {

bool AttentionRecorder::detailAt(const AttentionCall& call, bool sparseCall) const {
  if (!options_.detailSteps.empty())
    return std::find(options_.detailSteps.begin(), options_.detailSteps.end(), call.step) !=
           options_.detailSteps.end();
  if (sparseCall && firstSparseStep_ < 0) firstSparseStep_ = call.step;
  return call.step == call.numSteps - 1 || (sparseCall && call.step == firstSparseStep_);
}

std::vector<int64_t> sampledRowIndices(const std::array<int64_t, 3>& grid, int rows) {
  const int64_t F = std::max<int64_t>(1, grid[0]), H = std::max<int64_t>(1, grid[1]),
                W = std::max<int64_t>(1, grid[2]);
  const int64_t L = F * H * W;
  const int64_t n = std::min<int64_t>(rows, L);
  std::vector<int64_t> out;
  out.reserve(static_cast<size_t>(n));
  for (int64_t f = 0; f < F; ++f) {
    // Rows i with floor(i·F/n) == f: every frame its share, as evenly as n allows.
    const int64_t first = (f * n + F - 1) / F, last = ((f + 1) * n + F - 1) / F;
    const int64_t m = last - first;
    if (m <= 0) continue;
    const int64_t gx = std::max<int64_t>(
        1, std::min<int64_t>(W, static_cast<int64_t>(std::ceil(std::sqrt(double(m) * W / H)))));
    const int64_t gy = (m + gx - 1) / gx;
    for (int64_t j = 0; j < m; ++j) {
      const int64_t h = std::min(H - 1, ((j / gx) * 2 + 1) * H / (2 * gy));
      const int64_t w = std::min(W - 1, ((j % gx) * 2 + 1) * W / (2 * gx));
      out.push_back((f * H + h) * W + w);
    }
  }
  return out;
}

int rowMapPool(const std::array<int64_t, 3>& grid) {
  int p = 1;
  auto cells = [&](int pool) {
    return ((grid[1] + pool - 1) / pool) * ((grid[2] + pool - 1) / pool);
  };
  while (cells(p) > kRowMapCellsPerFrame) ++p;
  return p;
}

namespace {

// Softmax rows of the sampled queries against every key: (rows, L), on the CPU.
at::Tensor sampledProbabilities(const at::Tensor& q, const at::Tensor& k, int64_t head,
                                const std::vector<int64_t>& rows) {
  at::Tensor idx = at::tensor(rows, at::kLong).to(q.device());
  at::Tensor qs = q[head].index_select(0, idx).to(at::kFloat);
  return at::softmax(
             at::matmul(qs, k[head].to(at::kFloat).t()) / std::sqrt(static_cast<double>(q.size(2))),
             -1)
      .to(at::kCPU)
      .contiguous();
}

std::vector<float> frameMapOf(const at::Tensor& probs, const std::vector<int64_t>& rows, int64_t F,
                              int64_t S) {
  const int64_t n = probs.size(0);
  at::Tensor perFrame = probs.view({n, F, S}).sum(-1).contiguous();  // (n, F)
  std::vector<float> map(F * F, 0.0f);
  std::vector<int> count(F, 0);
  auto a = perFrame.accessor<float, 2>();
  for (int64_t r = 0; r < n; ++r) {
    const int64_t f = rows[r] / S;
    ++count[f];
    for (int64_t j = 0; j < F; ++j) map[f * F + j] += a[r][j];
  }
  for (int64_t f = 0; f < F; ++f)
    if (count[f] > 0)
      for (int64_t j = 0; j < F; ++j) map[f * F + j] /= count[f];
  return map;
}

bool gridFits(const at::Tensor& q, const at::Tensor& k, const std::array<int64_t, 3>& grid) {
  const int64_t L = q.size(1);
  return grid[0] > 0 && grid[1] > 0 && grid[2] > 0 && grid[0] * grid[1] * grid[2] == L &&
         k.size(1) == L;
}

}  // namespace

std::vector<float> sampledFrameMap(const at::Tensor& q, const at::Tensor& k, int64_t head,
                                   const std::array<int64_t, 3>& grid, int rows) {
  if (!gridFits(q, k, grid)) return {};
  const std::vector<int64_t> idx = sampledRowIndices(grid, rows);
  return frameMapOf(sampledProbabilities(q, k, head, idx), idx, grid[0], grid[1] * grid[2]);
}

void recordSampledRows(HeadRecord& record, const at::Tensor& q, const at::Tensor& k, int64_t head,
                       const std::array<int64_t, 3>& grid, int rows) {
  if (!gridFits(q, k, grid)) return;
  const int64_t F = grid[0], H = grid[1], W = grid[2];
  const std::vector<int64_t> idx = sampledRowIndices(grid, rows);
  const at::Tensor probs = sampledProbabilities(q, k, head, idx);
  record.frameMap = frameMapOf(probs, idx, F, H * W);
  const int p = rowMapPool(grid);
  const int64_t ch = (H + p - 1) / p, cw = (W + p - 1) / p, cells = F * ch * cw;
  record.sampledRows.assign(idx.begin(), idx.end());
  record.rowMapPool = p;
  record.rowMaps.assign(static_cast<size_t>(idx.size() * cells), 0);
  auto a = probs.accessor<float, 2>();
  std::vector<float> pooled(static_cast<size_t>(cells));
  for (size_t r = 0; r < idx.size(); ++r) {
    std::fill(pooled.begin(), pooled.end(), 0.0f);
    for (int64_t f = 0; f < F; ++f)
      for (int64_t h = 0; h < H; ++h)
        for (int64_t w = 0; w < W; ++w)
          pooled[(f * ch + h / p) * cw + w / p] += a[static_cast<int64_t>(r)][(f * H + h) * W + w];
    const float top = *std::max_element(pooled.begin(), pooled.end());
    if (top <= 0) continue;
    uint8_t* out = record.rowMaps.data() + r * cells;
    for (int64_t c = 0; c < cells; ++c)
      out[c] = static_cast<uint8_t>(std::lround(255.0f * pooled[c] / top));
  }
}

namespace {

CallRecord callRecord(const AttentionCall& call, const std::string& method, int64_t heads,
                      int batch, bool detail) {
  CallRecord r;
  r.step = call.step;
  r.layer = call.layer;
  r.method = method;
  r.grid = call.grid;
  r.batch = batch;
  r.heads = static_cast<int>(heads / std::max(1, batch));
  r.detail = detail;
  return r;
}

std::vector<int32_t> sizesOf(const std::vector<int32_t>& starts, int64_t h, int n) {
  std::vector<int32_t> s(n);
  for (int i = 0; i < n; ++i) s[i] = starts[h * (n + 1) + i + 1] - starts[h * (n + 1) + i];
  return s;
}

std::vector<int32_t> labelsOf(const at::Tensor& labels, int64_t h) {
  at::Tensor l = labels[h].to(at::kCPU, at::kInt).contiguous();
  return std::vector<int32_t>(l.data_ptr<int32_t>(), l.data_ptr<int32_t>() + l.numel());
}

}  // namespace

void recordDense(AttentionRecorder& recorder, const AttentionCall& call, const std::string& method,
                 const at::Tensor& q, const at::Tensor& k, int batch) {
  const bool detail = recorder.detailAt(call, false);
  CallRecord r = callRecord(call, method, q.size(0), batch, detail);
  for (int64_t h = 0; h < q.size(0); ++h) {
    HeadRecord hr;
    hr.index = static_cast<int>(h);
    hr.decision = "dense";
    if (detail && h < r.heads)
      recordSampledRows(hr, q, k, h, call.grid, recorder.options().sampledRows);
    r.headRecords.push_back(std::move(hr));
  }
  recorder.add(std::move(r));
}

void recordClusters(AttentionRecorder& recorder, const AttentionCall& call,
                    const std::string& method, const at::Tensor& q, const at::Tensor& k,
                    const BlockSparsePlan& plan, const at::Tensor& queryLabels,
                    const at::Tensor& keyLabels, int batch) {
  const bool detail = recorder.detailAt(call, true);
  CallRecord r = callRecord(call, method, plan.heads, batch, detail);
  const int nq = plan.numQueryBlocks, nk = plan.numKeyBlocks;
  for (int64_t h = 0; h < plan.heads; ++h) {
    HeadRecord hr;
    hr.index = static_cast<int>(h);
    hr.decision = "cluster";
    hr.queryClusterSizes = sizesOf(plan.queryStarts, h, nq);
    hr.keyClusterSizes = sizesOf(plan.keyStarts, h, nk);
    int64_t computed = 0;
    std::vector<uint8_t> mask(static_cast<size_t>(nq) * nk, 0);
    for (int i = 0; i < nq; ++i) {
      const int64_t row = h * nq + i;
      for (int32_t e = plan.offsets[row]; e < plan.offsets[row + 1]; ++e) {
        const int kb = plan.keyBlocks[e];
        mask[static_cast<size_t>(i) * nk + kb] = 1;
        computed += int64_t{hr.queryClusterSizes[i]} * hr.keyClusterSizes[kb];
      }
    }
    hr.density = static_cast<double>(computed) / (static_cast<double>(plan.queryLen) * plan.keyLen);
    if (detail && h < r.heads) {
      recordSampledRows(hr, q, k, h, call.grid, recorder.options().sampledRows);
      hr.maskRows = nq;
      hr.maskCols = nk;
      hr.blockMask = std::move(mask);
      hr.queryLabels = labelsOf(queryLabels, h);
      hr.keyLabels = labelsOf(keyLabels, h);
    }
    r.headRecords.push_back(std::move(hr));
  }
  recorder.add(std::move(r));
}

}  // namespace svgen
