#include "core/attention/svg_attention.h"

#include "core/attention/attention_recorder.h"
#include "core/attention/block_sparse.h"
#include "core/attention/clustering.h"
#include "core/attention/svg_masks.h"

#include <ATen/ATen.h>

#include <cmath>
#include <stdexcept>

namespace svgen {

namespace {

// Per token of frame-major order: its block under each mask's layout.
struct TokenBlocks {
  at::Tensor spatial, temporal;  // (L,) int64
};

TokenBlocks tokenBlocks(const std::array<int64_t, 3>& grid, int blockSize) {
  const int64_t F = grid[0], S = grid[1] * grid[2];
  at::Tensor t = at::arange(F * S, at::kLong);
  TokenBlocks b;
  b.spatial = t.div(blockSize, "floor");
  // Frame-major t = f·S + p sits at position-major index p·F + f.
  b.temporal = ((t % S) * F + t.div(S, "floor")).div(blockSize, "floor");
  return b;
}

at::Tensor tableTensor(const BlockTable& t) {
  return at::from_blob(const_cast<uint8_t*>(t.keep.data()), {t.blocks, t.blocks}, at::kByte)
      .to(at::kBool);
}

}  // namespace

at::Tensor temporalPermutation(const std::array<int64_t, 3>& grid) {
  const int64_t F = grid[0], S = grid[1] * grid[2];
  // t' = p·F + f holds token f·S + p.
  at::Tensor tp = at::arange(F * S, at::kLong);
  return (tp % F) * S + tp.div(F, "floor");
}

SvgProfile profileSvgHeads(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v,
                           const std::array<int64_t, 3>& grid, const SvgMasks& masks, int rows) {
  const int64_t H = q.size(0), L = q.size(1);
  if (grid[0] * grid[1] * grid[2] != L) throw std::invalid_argument("SVG: grid does not match L");
  const int64_t n = std::min<int64_t>(rows, L);
  at::Tensor idx =
      (at::arange(n, at::kDouble) * (static_cast<double>(L) / n)).floor().to(at::kLong);
  const TokenBlocks tb = tokenBlocks(grid, masks.spatial.blockSize);
  // Token-level masks of the sampled rows (n, L), read from the block tables the kernel uses.
  auto rowsMask = [&](const BlockTable& table, const at::Tensor& blockOf) {
    at::Tensor tab = tableTensor(table);
    return tab.index_select(0, blockOf.index_select(0, idx)).index_select(1, blockOf);
  };
  const at::Device dev = q.device();
  const at::Tensor maskS = rowsMask(masks.spatial, tb.spatial).to(dev);
  const at::Tensor maskT = rowsMask(masks.temporal, tb.temporal).to(dev);

  at::Tensor qs = q.index_select(1, idx.to(dev)).to(at::kFloat);
  at::Tensor vf = v.to(at::kFloat);
  at::Tensor scores = at::matmul(qs, k.to(at::kFloat).transpose(1, 2)) /
                      std::sqrt(static_cast<double>(q.size(2)));  // (H, n, L)
  const at::Tensor exact = at::matmul(at::softmax(scores, -1), vf);
  auto masked = [&](const at::Tensor& mask) {
    at::Tensor s = scores.masked_fill(mask.logical_not().unsqueeze(0),
                                      -std::numeric_limits<float>::infinity());
    at::Tensor p = at::softmax(s, -1);
    p = at::where(at::isnan(p), at::zeros_like(p), p);
    return at::matmul(p, vf);
  };
  at::Tensor errS = (masked(maskS) - exact).pow(2).mean({1, 2}).to(at::kCPU, at::kDouble);
  at::Tensor errT = (masked(maskT) - exact).pow(2).mean({1, 2}).to(at::kCPU, at::kDouble);
  SvgProfile p;
  for (int64_t h = 0; h < H; ++h) {
    p.spatialError.push_back(errS[h].item<double>());
    p.temporalError.push_back(errT[h].item<double>());
    p.temporal.push_back(p.temporalError.back() < p.spatialError.back());
  }
  return p;
}

at::Tensor SvgAttention::sparse(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v,
                                const AttentionCall& call) {
  const int64_t H = q.size(0), L = q.size(1);
  if (maskGrid_ != call.grid) {
    masks_ = svgMasks(call.grid, config_.svgBlock, config_.svgDensity);
    maskGrid_ = call.grid;
  }
  const SvgMasks& masks = masks_;
  const SvgProfile profile = profileSvgHeads(q, k, v, call.grid, masks, kProfileRows);

  // One plan for all heads: temporal heads see permuted tokens and the temporal table.
  BlockSparsePlan plan = BlockSparsePlan::uniform(H, L, L, config_.svgBlock, config_.svgBlock);
  const at::Tensor transform = temporalPermutation(call.grid).to(at::kInt);
  const int32_t* tp = transform.data_ptr<int32_t>();
  for (int64_t h = 0; h < H; ++h) {
    const BlockTable& table = profile.temporal[h] ? masks.temporal : masks.spatial;
    for (int i = 0; i < table.blocks; ++i) plan.appendRow(table.row(i));
    for (int64_t t = 0; t < L; ++t)
      plan.queryOrder.push_back(profile.temporal[h] ? tp[t] : static_cast<int32_t>(t));
  }
  plan.keyOrder = plan.queryOrder;
  at::Tensor out = blockSparseAttention(q, k, v, plan);
  countSparse(plan);

  if (recorder_) {
    const bool detail = recorder_->detailAt(call, true);
    CallRecord r;
    r.step = call.step;
    r.layer = call.layer;
    r.method = "svg";
    r.grid = call.grid;
    r.batch = batch_;
    r.heads = static_cast<int>(H / std::max(1, batch_));
    r.detail = detail;
    for (int64_t h = 0; h < H; ++h) {
      const BlockTable& table = profile.temporal[h] ? masks.temporal : masks.spatial;
      HeadRecord hr;
      hr.index = static_cast<int>(h);
      hr.decision = profile.temporal[h] ? "temporal" : "spatial";
      hr.density = table.density();
      hr.spatialError = profile.spatialError[h];
      hr.temporalError = profile.temporalError[h];
      if (detail && h < r.heads) {
        recordSampledRows(hr, q, k, h, call.grid, recorder_->options().sampledRows);
        hr.maskRows = hr.maskCols = table.blocks;
        hr.blockMask = table.keep;
      }
      r.headRecords.push_back(std::move(hr));
    }
    recorder_->add(std::move(r));
  }
  return out;
}

}  // namespace svgen
