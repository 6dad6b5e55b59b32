#include "core/training/adamw.h"

#include "core/common/error.h"

#include <ATen/ATen.h>
#include <c10/core/GradMode.h>

#include <cmath>

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
  for (auto& [name, p] : params_) {
    const at::Tensor& g = p.grad();
    if (!g.defined()) continue;
    at::Tensor& m = m_.at(name);
    at::Tensor& v = v_.at(name);
    m.mul_(options_.beta1).add_(g, 1.0 - options_.beta1);
    v.mul_(options_.beta2).addcmul_(g, g, 1.0 - options_.beta2);
    // Decoupled weight decay only on matrices: norms, biases and modulation stay undecayed.
    if (options_.weightDecay > 0 && p.dim() >= 2) p.mul_(1.0 - lr * options_.weightDecay);
    at::Tensor denom = (v / bc2).sqrt_().add_(options_.eps);
    p.addcdiv_(m, denom, -lr / bc1);
  }
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
