#include "core/common/error.h"
#include "core/sampling/sampler.h"

#include <ATen/ATen.h>

#include <cmath>
#include <string>

namespace svgen {

std::vector<double> flowSigmas(int steps, double shift) {
  if (steps < 1) throw InputError("steps must be at least 1, not " + std::to_string(steps));
  if (!(shift > 0)) throw InputError("shift must be positive, not " + std::to_string(shift));
  std::vector<double> sigmas(steps + 1, 0.0);
  constexpr double kTrainTimesteps = 1000;
  for (int i = 0; i < steps; ++i) {
    const double base = 1.0 - (1.0 - 1.0 / kTrainTimesteps) * static_cast<double>(i) / steps;
    sigmas[i] = shift * base / (1.0 + (shift - 1.0) * base);
  }
  if (std::abs(sigmas[0] - 1.0) < 1e-6) sigmas[0] -= 1e-6;
  return sigmas;
}

at::Tensor Sampler::predictX0(const at::Tensor& velocity, int i, const at::Tensor& sample) const {
  return sample - velocity * sigma(i);
}

}  // namespace svgen
