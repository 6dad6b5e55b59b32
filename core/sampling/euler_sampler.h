// First-order flow-matching Euler: x ← x + (σ_{i+1} − σ_i)·v, on the σ list of diffusers'
// FlowMatchEulerDiscreteScheduler (flowMatchEulerSigmas), so the same shift and step count give
// its trajectory.
#pragma once
#include "core/sampling/sampler.h"

#include <ATen/ATen.h>

namespace svgen {

class EulerSampler : public Sampler {
 public:
  EulerSampler(int steps, double shift);
  // On a σ list of its own (a pipeline's, e.g. hunyuanVideoSigmas), ending in 0.
  explicit EulerSampler(std::vector<double> sigmas);
  double modelTimestep(int i) const override;
  at::Tensor step(const at::Tensor& velocity, int i, const at::Tensor& sample) override;
};

}  // namespace svgen
