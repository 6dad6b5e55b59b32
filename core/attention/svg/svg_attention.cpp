#include "core/attention/svg/svg_attention.h"

#include "core/attention/attention_recorder.h"
#include "core/attention/block_sparse.h"
#include "core/attention/clustering/clustering.h"
#include "core/attention/svg/svg_masks.h"
#include "core/attention/svg/svg_method.h"

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

SvgProfileRows svgProfileRows(const std::array<int64_t, 3>& grid, const SvgMasks& masks, int rows,
                              const at::Device& device) {
  const int64_t L = grid[0] * grid[1] * grid[2];
  const int64_t n = std::min<int64_t>(rows, L);
  at::Tensor idx =
      (at::arange(n, at::kDouble) * (static_cast<double>(L) / n)).floor().to(at::kLong);
  const TokenBlocks tb = tokenBlocks(grid, masks.spatial.blockSize);
  // Token-level masks of the sampled rows (n, L), read from the block tables the kernel uses.
  auto rowsMask = [&](const BlockTable& table, const at::Tensor& blockOf) {
    at::Tensor tab = tableTensor(table);
    return tab.index_select(0, blockOf.index_select(0, idx)).index_select(1, blockOf).to(device);
  };
  return {idx.to(device), rowsMask(masks.spatial, tb.spatial),
          rowsMask(masks.temporal, tb.temporal)};
}

SvgProfile profileSvgHeads(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v,
                           const std::array<int64_t, 3>& grid, const SvgMasks& masks, int rows) {
  if (grid[0] * grid[1] * grid[2] != q.size(1))
    throw std::invalid_argument("SVG: grid does not match L");
  return profileSvgHeads(q, k, v, svgProfileRows(grid, masks, rows, q.device()));
}

namespace {

// a (H, M, L) @ b (H, L, N) for long L and small M, N (the sampled rows against every key): one
// GEMM per head would leave most of a GPU idle on a long reduction, so L is split into chunks
// that run as separate batches and are summed. The chunk divides L where a divisor near 2,048
// exists (Wan's 75,600 tokens: 2,100), else the tail is zero-padded.
at::Tensor longReductionMatmul(const at::Tensor& a, const at::Tensor& b) {
  const int64_t H = a.size(0), M = a.size(1), L = a.size(2), N = b.size(2);
  if (L <= 4096) return at::matmul(a, b);
  int64_t chunk = 2048;  // padded when no divisor lies near it
  int64_t divisor = 0;
  for (int64_t c = 1024; c <= 4096; ++c)
    if (L % c == 0 && (divisor == 0 || std::abs(c - 2048) < std::abs(divisor - 2048))) divisor = c;
  if (divisor > 0) chunk = divisor;
  const int64_t chunks = (L + chunk - 1) / chunk, padded = chunks * chunk;
  const at::Tensor ap = padded == L ? a : at::constant_pad_nd(a, {0, padded - L});
  const at::Tensor bp = padded == L ? b : at::constant_pad_nd(b, {0, 0, 0, padded - L});
  const at::Tensor ac = ap.reshape({H, M, chunks, chunk}).permute({0, 2, 1, 3});  // (H, c, M, k)
  const at::Tensor bc = bp.reshape({H, chunks, chunk, N});
  return at::matmul(ac, bc).sum(1);
}

}  // namespace

SvgProfile profileSvgHeads(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v,
                           const SvgProfileRows& rows) {
  const int64_t H = q.size(0), n = rows.rows.size(0);
  if (rows.spatial.size(1) != q.size(1))
    throw std::invalid_argument("SVG: profiling rows do not match L");
  const at::Tensor qs = q.index_select(1, rows.rows).to(at::kFloat);
  const at::Tensor scores = longReductionMatmul(qs, k.to(at::kFloat).transpose(1, 2)) /
                            std::sqrt(static_cast<double>(q.size(2)));  // (H, n, L)
  // One exponential for all three: the exact rows and each mask's rows share the row maximum
  // (a masked row whose every kept weight underflows counts as attending to nothing).
  const at::Tensor e = (scores - std::get<0>(scores.max(-1, true))).exp_();
  at::Tensor p = at::cat({e, e * rows.spatial.to(at::kFloat), e * rows.temporal.to(at::kFloat)},
                         1);  // (H, 3n, L)
  const at::Tensor sums = p.sum(-1, true);
  p = at::where(sums > 0, p / sums.clamp_min(1e-30), at::zeros_like(p));
  // On CUDA the weights times values run in bf16 on tensor cores (their rounding, ~1e-3 of the
  // output, is far below the gap between the two masks' errors that decides a head).
  const at::ScalarType productType = q.is_cuda() ? at::kBFloat16 : at::kFloat;
  const at::Tensor out =
      longReductionMatmul(p.to(productType), v.to(productType)).to(at::kFloat);  // (H, 3n, d)
  const at::Tensor exact = out.narrow(1, 0, n);
  // Both errors in one transfer: a device round trip per head would stall the GPU 2·H times.
  const at::Tensor err = at::stack({(out.narrow(1, n, n) - exact).pow(2).mean({1, 2}),
                                    (out.narrow(1, 2 * n, n) - exact).pow(2).mean({1, 2})})
                             .to(at::kCPU, at::kDouble)
                             .contiguous();
  const double* ep = err.data_ptr<double>();
  SvgProfile result;
  for (int64_t h = 0; h < H; ++h) {
    result.spatialError.push_back(ep[h]);
    result.temporalError.push_back(ep[H + h]);
    result.temporal.push_back(result.temporalError.back() < result.spatialError.back());
  }
  return result;
}

struct SvgAttention::GridCache {
  std::array<int64_t, 3> grid = {0, 0, 0};
  int64_t heads = 0;
  at::Device device = at::Device(at::kCPU);
  SvgMasks masks;
  // Per mask (0 spatial, 1 temporal): its rows as one list (offsets from 0) and the token pairs
  // it keeps; the two token orders (frame-major identity, position-major transform).
  std::vector<int32_t> offsets[2], keyBlocks[2], order[2];
  int64_t scores[2] = {0, 0};
  SvgProfileRows profileRows;
  // CUDA: the same lists, orders and (uniform) block starts on the device.
  at::Tensor deviceOffsets[2], deviceKeyBlocks[2], deviceOrders, deviceStarts;
};

const SvgAttention::GridCache& SvgAttention::gridCache(const std::array<int64_t, 3>& grid,
                                                       int64_t heads, const at::Device& device) {
  if (cache_ && cache_->grid == grid && cache_->heads == heads && cache_->device == device)
    return *cache_;
  lastProfile_.clear();  // classes of another grid do not carry over
  auto c = std::make_shared<GridCache>();
  c->grid = grid;
  c->heads = heads;
  c->device = device;
  c->masks = svgMasks(grid, config_.get(svg::block), config_.get(svg::density));
  const int64_t L = grid[0] * grid[1] * grid[2];
  const int block = config_.get(svg::block);
  const BlockTable* tables[2] = {&c->masks.spatial, &c->masks.temporal};
  for (int m = 0; m < 2; ++m) {
    const BlockTable& t = *tables[m];
    c->offsets[m] = {0};
    for (int i = 0; i < t.blocks; ++i) {
      const int64_t rowSize = std::min<int64_t>(block, L - int64_t{i} * block);
      for (int32_t j : t.row(i)) {
        c->keyBlocks[m].push_back(j);
        c->scores[m] += rowSize * std::min<int64_t>(block, L - int64_t{j} * block);
      }
      c->offsets[m].push_back(static_cast<int32_t>(c->keyBlocks[m].size()));
    }
  }
  c->order[0].resize(L);
  for (int64_t t = 0; t < L; ++t) c->order[0][t] = static_cast<int32_t>(t);
  const at::Tensor transform = temporalPermutation(grid).to(at::kInt).contiguous();
  c->order[1].assign(transform.data_ptr<int32_t>(), transform.data_ptr<int32_t>() + L);
  c->profileRows = svgProfileRows(grid, c->masks, kProfileRows, device);
  if (device.is_cuda()) {
    auto toDevice = [&](const std::vector<int32_t>& v) {
      return at::from_blob(const_cast<int32_t*>(v.data()), {static_cast<int64_t>(v.size())},
                           at::kInt)
          .to(device);
    };
    for (int m = 0; m < 2; ++m) {
      c->deviceOffsets[m] = toDevice(c->offsets[m]);
      c->deviceKeyBlocks[m] = toDevice(c->keyBlocks[m]);
    }
    c->deviceOrders = at::stack({toDevice(c->order[0]), toDevice(c->order[1])});
    const BlockSparsePlan uniform = BlockSparsePlan::uniform(heads, L, L, block, block);
    c->deviceStarts = toDevice(uniform.queryStarts);
  }
  cache_ = c;
  return *cache_;
}

const SvgProfile& SvgAttention::profileFor(const at::Tensor& q, const at::Tensor& k,
                                           const at::Tensor& v, const AttentionCall& call,
                                           const SvgProfileRows& rows) {
  LastProfile& last = lastProfile_[call.layer];
  const int every = config_.get(svg::profileEvery);
  // A new run (steps counted from the start again) or a new head count profiles afresh.
  const bool fresh = last.step < 0 || call.step < last.step || call.numSteps != last.numSteps ||
                     static_cast<int64_t>(last.profile.temporal.size()) != q.size(0);
  if (fresh || call.step - last.step >= every) {
    announcePhase("head profiling");
    last.profile = profileSvgHeads(q, k, v, rows);
    last.step = call.step;
    last.numSteps = call.numSteps;
  }
  return last.profile;
}

at::Tensor SvgAttention::sparse(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v,
                                const AttentionCall& call) {
  const int64_t H = q.size(0), L = q.size(1);
  if (call.grid[0] * call.grid[1] * call.grid[2] != L)
    throw std::invalid_argument("SVG: grid does not match L");
  PhaseClock clock(*this, q);
  const GridCache& c = gridCache(call.grid, H, q.device());
  const SvgMasks& masks = c.masks;
  const SvgProfile& profile = profileFor(q, k, v, call, c.profileRows);
  clock.lap("profile");
  announcePhase("sparse attention");

  // One plan for all heads: temporal heads see position-major tokens and the temporal table.
  const int numBlocks = masks.spatial.blocks;
  int64_t scores = 0;
  for (int64_t h = 0; h < H; ++h) scores += c.scores[profile.temporal[h] ? 1 : 0];
  at::Tensor out;
  if (blockSparseCudaSupports(q, k, v)) {
    // Assembled on the device from the cached pieces: no per-call host lists or uploads.
    std::vector<at::Tensor> offsets, lists;
    std::vector<int64_t> choice;
    int64_t base = 0;
    for (int64_t h = 0; h < H; ++h) {
      const int m = profile.temporal[h] ? 1 : 0;
      offsets.push_back(c.deviceOffsets[m].narrow(0, 0, numBlocks) + static_cast<int32_t>(base));
      lists.push_back(c.deviceKeyBlocks[m]);
      choice.push_back(m);
      base += static_cast<int64_t>(c.keyBlocks[m].size());
    }
    offsets.push_back(at::full({1}, base, c.deviceOffsets[0].options()));
    const at::Tensor orders =
        c.deviceOrders.index_select(0, at::tensor(choice, at::kLong).to(q.device())).contiguous();
    const DeviceBlockSparsePlan plan =
        devicePlan(H, L, L, numBlocks, numBlocks, c.deviceStarts, c.deviceStarts, at::cat(offsets),
                   at::cat(lists), orders, orders, scores);
    out = runDevicePlan(q, k, v, plan);
  } else {
    BlockSparsePlan plan =
        BlockSparsePlan::uniform(H, L, L, config_.get(svg::block), config_.get(svg::block));
    plan.offsets.reserve(H * numBlocks + 1);
    for (int64_t h = 0; h < H; ++h) {
      const int m = profile.temporal[h] ? 1 : 0;
      const int32_t base = static_cast<int32_t>(plan.keyBlocks.size());
      plan.keyBlocks.insert(plan.keyBlocks.end(), c.keyBlocks[m].begin(), c.keyBlocks[m].end());
      for (int i = 1; i <= numBlocks; ++i) plan.offsets.push_back(base + c.offsets[m][i]);
      plan.queryOrder.insert(plan.queryOrder.end(), c.order[m].begin(), c.order[m].end());
    }
    plan.keyOrder = plan.queryOrder;
    clock.lap("plan");
    out = runPlan(q, k, v, plan);
  }
  clock.lap("kernel");
  countSparse(static_cast<double>(scores), static_cast<double>(H) * L * L);

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
