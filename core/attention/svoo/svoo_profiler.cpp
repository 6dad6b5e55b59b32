#include "core/attention/svoo/svoo_profiler.h"

#include <ATen/ATen.h>

#include <algorithm>
#include <cmath>

namespace svgen {

std::vector<double> keyFractionForMass(const at::Tensor& q, const at::Tensor& k, double mass,
                                       int rows) {
  const int64_t L = q.size(1);
  const int64_t n = std::min<int64_t>(rows, L);
  at::Tensor idx = (at::arange(n, at::kDouble) * (static_cast<double>(L) / n))
                       .floor()
                       .to(at::kLong)
                       .to(q.device());
  at::Tensor p = at::softmax(
      at::matmul(q.index_select(1, idx).to(at::kFloat), k.to(at::kFloat).transpose(1, 2)) /
          std::sqrt(static_cast<double>(q.size(2))),
      -1);
  at::Tensor sorted = std::get<0>(at::sort(p, -1, /*descending=*/true));
  // Keys needed: 1 + how many prefixes stay below the mass.
  at::Tensor needed = (at::cumsum(sorted, -1) < mass).sum(-1).add(1).clamp_max(k.size(1));
  at::Tensor frac =
      needed.to(at::kDouble).mean(-1).div(static_cast<double>(k.size(1))).to(at::kCPU);
  return std::vector<double>(frac.data_ptr<double>(), frac.data_ptr<double>() + frac.numel());
}

at::Tensor SvooProfiler::selfAttention(const at::Tensor& q, const at::Tensor& k,
                                       const at::Tensor& v, const AttentionCall& call) {
  countDense(q, k);
  const int64_t B = q.size(0), H = q.size(2);
  const std::vector<double> f = keyFractionForMass(headMajor(q), headMajor(k), mass_, rows_);
  if (measured_.size() <= static_cast<size_t>(call.step)) measured_.resize(call.step + 1);
  auto& layers = measured_[call.step];
  if (layers.size() <= static_cast<size_t>(call.layer)) layers.resize(call.layer + 1);
  auto& heads = layers[call.layer];
  if (heads.size() < static_cast<size_t>(H)) heads.resize(H, 0.0);
  for (int64_t i = 0; i < B * H; ++i) heads[i % H] = std::max(heads[i % H], f[i]);
  return denseAttention(q, k, v);
}

}  // namespace svgen
