#include "core/sampling/ancestral_sampler.h"

#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>

namespace svgen {

AncestralSampler::AncestralSampler(int steps, double shift, uint64_t seed)
    : Sampler(flowSigmas(steps, shift)),
      // Offset from the initial noise's seed so the two streams differ.
      generator_(at::make_generator<at::CPUGeneratorImpl>(seed ^ 0x5DEECE66Dull)) {}

double AncestralSampler::modelTimestep(int i) const {
  return 1000.0 * sigma(i);
}

at::Tensor AncestralSampler::step(const at::Tensor& velocity, int i, const at::Tensor& sample) {
  const at::Tensor x0 = predictX0(velocity, i, sample);
  const double next = sigma(i + 1);
  if (next <= 0) return x0;
  const at::Tensor noise = at::empty(sample.sizes(), at::kFloat).normal_(0.0, 1.0, generator_);
  return (1 - next) * x0 + next * noise.to(sample.device(), sample.scalar_type());
}

}  // namespace svgen
