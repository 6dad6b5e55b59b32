#include "core/sampling/euler_sampler.h"

namespace svgen {

EulerSampler::EulerSampler(int steps, double shift) : Sampler(flowSigmas(steps, shift)) {}

double EulerSampler::modelTimestep(int i) const {
  return 1000.0 * sigma(i);
}

at::Tensor EulerSampler::step(const at::Tensor& velocity, int i, const at::Tensor& sample) {
  return sample + velocity * (sigma(i + 1) - sigma(i));
}

}  // namespace svgen
