#include "core/attention/block_sparse.h"

#include "core/attention/clustering/clustering.h"
#include "kernels/cpu/attention_cpu.h"

#include <ATen/ATen.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>

namespace svgen {

BlockSparsePlan BlockSparsePlan::uniform(int64_t heads, int64_t queryLen, int64_t keyLen,
                                         int queryBlock, int keyBlock) {
  if (queryBlock <= 0 || keyBlock <= 0) throw std::invalid_argument("block size must be positive");
  BlockSparsePlan p;
  p.heads = heads;
  p.queryLen = queryLen;
  p.keyLen = keyLen;
  p.numQueryBlocks = static_cast<int>((queryLen + queryBlock - 1) / queryBlock);
  p.numKeyBlocks = static_cast<int>((keyLen + keyBlock - 1) / keyBlock);
  for (int64_t h = 0; h < heads; ++h) {
    for (int i = 0; i <= p.numQueryBlocks; ++i)
      p.queryStarts.push_back(
          static_cast<int32_t>(std::min<int64_t>(i * int64_t{queryBlock}, queryLen)));
    for (int j = 0; j <= p.numKeyBlocks; ++j)
      p.keyStarts.push_back(static_cast<int32_t>(std::min<int64_t>(j * int64_t{keyBlock}, keyLen)));
  }
  return p;
}

void BlockSparsePlan::appendRow(const std::vector<int32_t>& blocks) {
  keyBlocks.insert(keyBlocks.end(), blocks.begin(), blocks.end());
  offsets.push_back(static_cast<int32_t>(keyBlocks.size()));
}

int64_t BlockSparsePlan::scoresComputed() const {
  int64_t n = 0;
  for (int64_t h = 0; h < heads; ++h)
    for (int i = 0; i < numQueryBlocks; ++i) {
      const int64_t row = h * numQueryBlocks + i;
      const int32_t* qs = queryStarts.data() + h * (numQueryBlocks + 1);
      const int32_t* ks = keyStarts.data() + h * (numKeyBlocks + 1);
      for (int32_t e = offsets[row]; e < offsets[row + 1]; ++e)
        n += int64_t{qs[i + 1] - qs[i]} * (ks[keyBlocks[e] + 1] - ks[keyBlocks[e]]);
    }
  return n;
}

double BlockSparsePlan::density() const {
  const double all = static_cast<double>(heads) * queryLen * keyLen;
  return all > 0 ? static_cast<double>(scoresComputed()) / all : 1.0;
}

bool BlockSparsePlan::keeps(int64_t head, int64_t query, int64_t key) const {
  const int32_t* qs = queryStarts.data() + head * (numQueryBlocks + 1);
  const int32_t* ks = keyStarts.data() + head * (numKeyBlocks + 1);
  const int qb = static_cast<int>(std::upper_bound(qs, qs + numQueryBlocks + 1, query) - qs - 1);
  const int kb = static_cast<int>(std::upper_bound(ks, ks + numKeyBlocks + 1, key) - ks - 1);
  const int64_t row = head * numQueryBlocks + qb;
  const auto first = keyBlocks.begin() + offsets[row], last = keyBlocks.begin() + offsets[row + 1];
  return std::find(first, last, kb) != last;
}

BlockSparsePlan withDenseKeyTail(const BlockSparsePlan& plan, int64_t tail) {
  if (tail <= 0) return plan;
  BlockSparsePlan p = plan;
  const int nk = plan.numKeyBlocks;
  const int32_t end = static_cast<int32_t>(plan.keyLen + tail);
  p.keyLen = plan.keyLen + tail;
  p.numKeyBlocks = nk + 1;
  p.keyStarts.clear();
  for (int64_t h = 0; h < plan.heads; ++h) {
    const auto first = plan.keyStarts.begin() + h * (nk + 1);
    p.keyStarts.insert(p.keyStarts.end(), first, first + nk + 1);
    p.keyStarts.push_back(end);
  }
  p.offsets = {0};
  p.keyBlocks.clear();
  for (size_t row = 0; row + 1 < plan.offsets.size(); ++row) {
    p.keyBlocks.insert(p.keyBlocks.end(), plan.keyBlocks.begin() + plan.offsets[row],
                       plan.keyBlocks.begin() + plan.offsets[row + 1]);
    p.keyBlocks.push_back(nk);
    p.offsets.push_back(static_cast<int32_t>(p.keyBlocks.size()));
  }
  if (!plan.keyOrder.empty()) {
    p.keyOrder.clear();
    for (int64_t h = 0; h < plan.heads; ++h) {
      const auto first = plan.keyOrder.begin() + h * plan.keyLen;
      p.keyOrder.insert(p.keyOrder.end(), first, first + plan.keyLen);
      for (int64_t t = plan.keyLen; t < p.keyLen; ++t)
        p.keyOrder.push_back(static_cast<int32_t>(t));
    }
  }
  return p;
}

KeyTailPlan withDenseKeyTail(int64_t heads, int numQueryBlocks, int numKeyBlocks, int64_t keyLen,
                             const at::Tensor& keyStarts, const at::Tensor& offsets,
                             const at::Tensor& keyBlocks, const at::Tensor& keyOrder,
                             int64_t tail) {
  if (tail <= 0) return {keyStarts, offsets, keyBlocks, keyOrder};
  const int64_t rows = heads * numQueryBlocks;
  const auto ints = offsets.options().dtype(at::kInt);
  KeyTailPlan p;
  p.keyStarts = at::cat({keyStarts.view({heads, numKeyBlocks + 1}),
                         at::full({heads, 1}, static_cast<int32_t>(keyLen + tail), ints)},
                        1)
                    .reshape({-1})
                    .contiguous();
  // Row r's entries move r places up, and its new block goes right after them.
  const at::Tensor shift = at::arange(rows + 1, ints);
  p.offsets = (offsets + shift).contiguous();
  const int64_t n = keyBlocks.numel();
  const at::Tensor index = at::arange(n, ints);
  const at::Tensor rowOf = at::searchsorted(offsets, index, /*out_int32=*/true, /*right=*/true) - 1;
  p.keyBlocks = at::empty({n + rows}, ints);
  p.keyBlocks.index_put_({(index + rowOf).to(at::kLong)}, keyBlocks);
  p.keyBlocks.index_put_({(offsets.narrow(0, 1, rows) + shift.narrow(0, 0, rows)).to(at::kLong)},
                         at::full({rows}, numKeyBlocks, ints));
  if (keyOrder.defined()) {
    const at::Tensor tailOrder =
        at::arange(keyLen, keyLen + tail, ints).unsqueeze(0).expand({heads, tail});
    p.keyOrder = at::cat({keyOrder.view({heads, keyLen}), tailOrder}, 1).reshape({-1}).contiguous();
  }
  return p;
}

namespace {

void checkPlan(const at::Tensor& q, const at::Tensor& k, const BlockSparsePlan& plan) {
  if (q.dim() != 3 || k.dim() != 3 || q.size(0) != plan.heads || k.size(0) != plan.heads ||
      q.size(1) != plan.queryLen || k.size(1) != plan.keyLen || !plan.complete() ||
      (!plan.queryOrder.empty() &&
       static_cast<int64_t>(plan.queryOrder.size()) != plan.heads * plan.queryLen) ||
      (!plan.keyOrder.empty() &&
       static_cast<int64_t>(plan.keyOrder.size()) != plan.heads * plan.keyLen))
    throw std::invalid_argument("block-sparse attention: tensors do not match the plan");
}

// Per token: the index of the block that holds it, (heads, len) int64.
at::Tensor blockIds(const std::vector<int32_t>& starts, int64_t heads, int blocks, int64_t len,
                    const at::Device& device) {
  at::Tensor ids = at::empty({heads, len}, at::kLong);
  auto a = ids.accessor<int64_t, 2>();
  for (int64_t h = 0; h < heads; ++h) {
    const int32_t* st = starts.data() + h * (blocks + 1);
    for (int b = 0; b < blocks; ++b)
      for (int32_t t = st[b]; t < st[b + 1]; ++t) a[h][t] = b;
  }
  return ids.to(device);
}

// (heads, len) int64 from a per-head order, on `device`.
at::Tensor orderTensor(const std::vector<int32_t>& order, int64_t heads, int64_t len,
                       const at::Device& device) {
  return at::from_blob(const_cast<int32_t*>(order.data()), {heads, len}, at::kInt)
      .to(device, at::kLong);
}

}  // namespace

at::Tensor blockSparseReference(const at::Tensor& qIn, const at::Tensor& kIn, const at::Tensor& vIn,
                                const BlockSparsePlan& plan) {
  checkPlan(qIn, kIn, plan);
  // Into the plan's logical order, and the result back to token order at the end.
  at::Tensor qOrder, q = qIn, k = kIn, v = vIn;
  if (!plan.queryOrder.empty()) {
    qOrder = orderTensor(plan.queryOrder, plan.heads, plan.queryLen, q.device());
    q = permuteTokens(q, qOrder);
  }
  if (!plan.keyOrder.empty()) {
    const at::Tensor kOrder = orderTensor(plan.keyOrder, plan.heads, plan.keyLen, k.device());
    k = permuteTokens(k, kOrder);
    v = permuteTokens(v, kOrder);
  }
  const int64_t H = plan.heads, Lq = plan.queryLen, Lk = plan.keyLen;
  at::Tensor pairs =
      at::zeros({H, std::max(1, plan.numQueryBlocks), std::max(1, plan.numKeyBlocks)}, at::kBool);
  {
    auto a = pairs.accessor<bool, 3>();
    for (int64_t h = 0; h < H; ++h)
      for (int i = 0; i < plan.numQueryBlocks; ++i) {
        const int64_t row = h * plan.numQueryBlocks + i;
        for (int32_t e = plan.offsets[row]; e < plan.offsets[row + 1]; ++e)
          a[h][i][plan.keyBlocks[e]] = true;
      }
  }
  pairs = pairs.to(q.device());
  const at::Tensor qid = blockIds(plan.queryStarts, H, plan.numQueryBlocks, Lq, q.device());
  const at::Tensor kid = blockIds(plan.keyStarts, H, plan.numKeyBlocks, Lk, q.device());
  const double scale = 1.0 / std::sqrt(static_cast<double>(q.size(2)));
  at::Tensor kt = k.transpose(1, 2);
  at::Tensor out = at::zeros_like(q);
  const int64_t chunk = std::max<int64_t>(1, (16ll << 20) / std::max<int64_t>(1, H * Lk));
  for (int64_t s = 0; s < Lq; s += chunk) {
    const int64_t n = std::min(chunk, Lq - s);
    at::Tensor rows = pairs.gather(
        1, qid.narrow(1, s, n).unsqueeze(-1).expand({H, n, pairs.size(2)}));  // (H, n, nkb)
    at::Tensor mask = rows.gather(2, kid.unsqueeze(1).expand({H, n, Lk}));    // (H, n, Lk)
    at::Tensor scores = at::matmul(q.narrow(1, s, n), kt).mul_(scale).to(at::kFloat);
    scores.masked_fill_(mask.logical_not(), -std::numeric_limits<float>::infinity());
    at::Tensor probs = at::softmax(scores, -1);
    probs = at::where(mask, probs, at::zeros_like(probs));  // all-masked rows give NaN: zero them
    out.narrow(1, s, n).copy_(at::matmul(probs.to(v.scalar_type()), v));
  }
  if (qOrder.defined()) out = unpermuteTokens(out, qOrder);
  return out;
}

at::Tensor blockSparseAttention(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v,
                                const BlockSparsePlan& plan) {
  checkPlan(q, k, plan);
  if (blockSparseCudaSupports(q, k, v)) return blockSparseAttentionCuda(q, k, v, plan);
  if (!(q.is_cpu() && q.scalar_type() == at::kFloat && k.scalar_type() == at::kFloat &&
        v.scalar_type() == at::kFloat && q.size(2) <= 256))
    return blockSparseReference(q, k, v, plan);
  at::Tensor qc = q.contiguous(), kc = k.contiguous(), vc = v.contiguous();
  at::Tensor out = at::empty_like(qc);
  kernels::AttentionShape shape;
  shape.batchHeads = static_cast<int>(plan.heads);
  shape.queryLen = static_cast<int>(plan.queryLen);
  shape.keyLen = static_cast<int>(plan.keyLen);
  shape.headDim = static_cast<int>(q.size(2));
  kernels::BlockSparseLayout layout;
  layout.numQueryBlocks = plan.numQueryBlocks;
  layout.numKeyBlocks = plan.numKeyBlocks;
  layout.queryStarts = plan.queryStarts.data();
  layout.keyStarts = plan.keyStarts.data();
  layout.offsets = plan.offsets.data();
  layout.keyBlocks = plan.keyBlocks.data();
  layout.queryOrder = plan.queryOrder.empty() ? nullptr : plan.queryOrder.data();
  layout.keyOrder = plan.keyOrder.empty() ? nullptr : plan.keyOrder.data();
  kernels::attentionBlockSparseF32(
      qc.data_ptr<float>(), kc.data_ptr<float>(), vc.data_ptr<float>(), out.data_ptr<float>(),
      shape, static_cast<float>(1.0 / std::sqrt(static_cast<double>(q.size(2)))), layout);
  return out;
}

}  // namespace svgen
