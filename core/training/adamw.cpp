#include "core/training/adamw.h"

#include "core/common/error.h"

#include <ATen/ATen.h>
#include <c10/core/GradMode.h>

#include <cmath>
#include <vector>

namespace svgen {

AdamW::AdamW(TensorMap& params, AdamWOptions options) : params_(params), options_(options) {
  for (auto& [name, p] : params_) {
    m_[name] = at::zeros_like(p);
    v_[name] = at::zeros_like(p);
  }
}

void AdamW::step(double lr) {
  c10::NoGradGuard noGrad;
  ++step_;
  const double bc1 = 1.0 - std::pow(options_.beta1, static_cast<double>(step_));
  const double bc2 = 1.0 - std::pow(options_.beta2, static_cast<double>(step_));
  // One multi-tensor kernel per operation instead of one launch per parameter and operation: the
  // built-in model has a few hundred small tensors, and the launches cost more than the math.
  std::vector<at::Tensor> ps, gs, ms, vs, decayed;
  for (auto& [name, p] : params_) {
    if (!p.grad().defined()) continue;
    ps.push_back(p);
    gs.push_back(p.grad());
    ms.push_back(m_.at(name));
    vs.push_back(v_.at(name));
    // Decoupled weight decay only on matrices: norms, biases and modulation stay undecayed.
    if (p.dim() >= 2) decayed.push_back(p);
  }
  if (ps.empty()) return;
  at::_foreach_mul_(ms, options_.beta1);
  at::_foreach_add_(ms, gs, 1.0 - options_.beta1);
  at::_foreach_mul_(vs, options_.beta2);
  at::_foreach_addcmul_(vs, gs, gs, 1.0 - options_.beta2);
  if (options_.weightDecay > 0 && !decayed.empty())
    at::_foreach_mul_(decayed, 1.0 - lr * options_.weightDecay);
  std::vector<at::Tensor> denom = at::_foreach_div(vs, bc2);
  at::_foreach_sqrt_(denom);
  at::_foreach_add_(denom, options_.eps);
  at::_foreach_addcdiv_(ps, ms, denom, -lr / bc1);
}

TensorMap AdamW::state() const {
  TensorMap s;
  for (const auto& [name, t] : m_) s["adam.m." + name] = t;
  for (const auto& [name, t] : v_) s["adam.v." + name] = t;
  s["adam.step"] = at::tensor({step_}, at::kLong);
  return s;
}

void AdamW::loadState(const TensorMap& state) {
  for (auto& [name, m] : m_) {
    auto mi = state.find("adam.m." + name);
    auto vi = state.find("adam.v." + name);
    if (mi == state.end() || vi == state.end()) {
      throw InputError("optimizer state has no entry for parameter \"" + name + "\"");
    }
    m.copy_(mi->second);
    v_.at(name).copy_(vi->second);
  }
  step_ = state.at("adam.step").item<int64_t>();
}

}  // namespace svgen
