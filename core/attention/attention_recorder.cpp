#include "core/attention/attention_recorder.h"

#include "core/attention/block_sparse.h"
#include "core/common/error.h"
#include "core/io/atomic_file.h"

#include <ATen/ATen.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>

namespace svgen {

using nlohmann::json;

bool AttentionRecorder::detailAt(const AttentionCall& call, bool sparseCall) const {
  if (!options_.detailSteps.empty())
    return std::find(options_.detailSteps.begin(), options_.detailSteps.end(), call.step) !=
           options_.detailSteps.end();
  if (sparseCall && firstSparseStep_ < 0) firstSparseStep_ = call.step;
  return call.step == call.numSteps - 1 || (sparseCall && call.step == firstSparseStep_);
}

std::vector<float> sampledFrameMap(const at::Tensor& q, const at::Tensor& k, int64_t head,
                                   const std::array<int64_t, 3>& grid, int rows) {
  const int64_t L = q.size(1), F = grid[0];
  const int64_t S = std::max<int64_t>(1, L / std::max<int64_t>(1, F));
  if (F * S != L || k.size(1) != L) return {};
  const int64_t n = std::min<int64_t>(rows, L);
  // Evenly spaced rows: every frame gets its share.
  at::Tensor idx =
      (at::arange(n, at::kDouble) * (static_cast<double>(L) / n)).floor().to(at::kLong);
  at::Tensor qs = q[head].index_select(0, idx.to(q.device())).to(at::kFloat);
  at::Tensor probs = at::softmax(
      at::matmul(qs, k[head].to(at::kFloat).t()) / std::sqrt(static_cast<double>(q.size(2))), -1);
  at::Tensor perFrame = probs.view({n, F, S}).sum(-1).to(at::kCPU);  // (n, F)
  std::vector<float> map(F * F, 0.0f);
  std::vector<int> count(F, 0);
  auto a = perFrame.accessor<float, 2>();
  auto ia = idx.accessor<int64_t, 1>();
  for (int64_t r = 0; r < n; ++r) {
    const int64_t f = ia[r] / S;
    ++count[f];
    for (int64_t j = 0; j < F; ++j) map[f * F + j] += a[r][j];
  }
  for (int64_t f = 0; f < F; ++f)
    if (count[f] > 0)
      for (int64_t j = 0; j < F; ++j) map[f * F + j] /= count[f];
  return map;
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
      hr.frameMap = sampledFrameMap(q, k, h, call.grid, recorder.options().sampledRows);
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
      hr.frameMap = sampledFrameMap(q, k, h, call.grid, recorder.options().sampledRows);
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

std::string AttentionRecorder::toJson() const {
  json calls = json::array();
  for (const CallRecord& c : calls_) {
    json heads = json::array();
    for (const HeadRecord& h : c.headRecords) {
      json jh = {{"index", h.index}, {"decision", h.decision}, {"density", h.density}};
      if (h.spatialError >= 0) jh["spatial_error"] = h.spatialError;
      if (h.temporalError >= 0) jh["temporal_error"] = h.temporalError;
      if (!h.queryClusterSizes.empty()) jh["query_cluster_sizes"] = h.queryClusterSizes;
      if (!h.keyClusterSizes.empty()) jh["key_cluster_sizes"] = h.keyClusterSizes;
      if (!h.frameMap.empty()) jh["frame_map"] = h.frameMap;
      if (!h.blockMask.empty()) {
        std::string bits(h.blockMask.size(), '0');
        for (size_t i = 0; i < bits.size(); ++i)
          if (h.blockMask[i]) bits[i] = '1';
        jh["block_mask"] = {{"rows", h.maskRows}, {"cols", h.maskCols}, {"bits", bits}};
      }
      if (!h.queryLabels.empty()) jh["query_labels"] = h.queryLabels;
      if (!h.keyLabels.empty()) jh["key_labels"] = h.keyLabels;
      heads.push_back(std::move(jh));
    }
    calls.push_back({{"step", c.step},
                     {"layer", c.layer},
                     {"method", c.method},
                     {"grid", c.grid},
                     {"batch", c.batch},
                     {"heads", c.heads},
                     {"detail", c.detail},
                     {"head_records", std::move(heads)}});
  }
  return json{{"format", "svgen-attention-record"}, {"version", 1}, {"calls", std::move(calls)}}
      .dump();
}

void AttentionRecorder::write(const std::string& path) const {
  writeFileAtomically(path, toJson());
}

std::vector<CallRecord> AttentionRecorder::parse(const std::string& text) {
  std::vector<CallRecord> out;
  try {
    const json j = json::parse(text);
    if (j.value("format", "") != "svgen-attention-record")
      throw InputError("not an svgen attention record");
    for (const json& c : j.at("calls")) {
      CallRecord r;
      r.step = c.at("step");
      r.layer = c.at("layer");
      r.method = c.at("method");
      r.grid = c.at("grid").get<std::array<int64_t, 3>>();
      r.batch = c.at("batch");
      r.heads = c.at("heads");
      r.detail = c.at("detail");
      for (const json& h : c.at("head_records")) {
        HeadRecord hr;
        hr.index = h.at("index");
        hr.decision = h.at("decision");
        hr.density = h.at("density");
        hr.spatialError = h.value("spatial_error", -1.0);
        hr.temporalError = h.value("temporal_error", -1.0);
        hr.queryClusterSizes = h.value("query_cluster_sizes", std::vector<int32_t>{});
        hr.keyClusterSizes = h.value("key_cluster_sizes", std::vector<int32_t>{});
        hr.frameMap = h.value("frame_map", std::vector<float>{});
        if (h.contains("block_mask")) {
          const json& m = h.at("block_mask");
          hr.maskRows = m.at("rows");
          hr.maskCols = m.at("cols");
          const std::string bits = m.at("bits");
          if (bits.size() != static_cast<size_t>(hr.maskRows) * hr.maskCols)
            throw InputError("block mask size does not match its rows and columns");
          for (char b : bits) hr.blockMask.push_back(b == '1');
        }
        hr.queryLabels = h.value("query_labels", std::vector<int32_t>{});
        hr.keyLabels = h.value("key_labels", std::vector<int32_t>{});
        r.headRecords.push_back(std::move(hr));
      }
      out.push_back(std::move(r));
    }
  } catch (const json::exception& e) {
    throw InputError(std::string("attention record: ") + e.what());
  }
  return out;
}

}  // namespace svgen
