#include "core/sampling/euler_sampler.h"

namespace svgen {

EulerSampler::EulerSampler(int steps, double shift) : Sampler(flowMatchEulerSigmas(steps, shift)) {}

EulerSampler::EulerSampler(std::vector<double> sigmas) : Sampler(std::move(sigmas)) {}

double EulerSampler::modelTimestep(int i) const {
  // diffusers' timesteps tensor: the float32 σ times 1000 in float32.
  return static_cast<double>(static_cast<float>(sigma(i)) * 1000.0f);
}

at::Tensor EulerSampler::step(const at::Tensor& velocity, int i, const at::Tensor& sample) {
  return sample + velocity * (sigma(i + 1) - sigma(i));
}

}  // namespace svgen
