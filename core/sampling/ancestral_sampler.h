// Stochastic flow sampling: at each step the clean sample the network implies is noised afresh to
// the next level, x ← (1 − σ_{i+1})·x̂0 + σ_{i+1}·ε. The fresh noise lets a model whose prediction
// from near-pure noise is an average over layouts commit to one (the built-in model draws one
// coherent object this way where the ODE samplers leave several half-formed ones).
#pragma once
#include "core/sampling/sampler.h"

#include <ATen/core/Generator.h>

#include <cstdint>

namespace svgen {

class AncestralSampler : public Sampler {
 public:
  // The noise is drawn on the CPU from `seed`, so a seed means the same clip on every device.
  AncestralSampler(int steps, double shift, uint64_t seed);
  double modelTimestep(int i) const override;
  at::Tensor step(const at::Tensor& velocity, int i, const at::Tensor& sample) override;

 private:
  at::Generator generator_;
};

}  // namespace svgen
