#include "core/common/error.h"
#include "core/sampling/sampler.h"

#include <ATen/ATen.h>

#include <cmath>
#include <string>

namespace svgen {

namespace {

void checkScheduleArguments(int steps, double shift) {
  if (steps < 1) throw InputError("steps must be at least 1, not " + std::to_string(steps));
  if (!(shift > 0)) throw InputError("shift must be positive, not " + std::to_string(shift));
}

// The flow-matching time shift: s·σ / (1 + (s − 1)·σ), float64.
double shifted(double sigma, double shift) {
  return shift * sigma / (1.0 + (shift - 1.0) * sigma);
}

// Wan's get_sampling_sigmas(N, shift) in float64: numpy's linspace(1, 0, N + 1) without its end
// (start + i·(stop − start)/(num − 1)), shifted.
std::vector<double> wanDpmSigmas64(int steps, double shift) {
  checkScheduleArguments(steps, shift);
  std::vector<double> sigmas(steps);
  const double delta = -1.0 / steps;
  for (int i = 0; i < steps; ++i) {
    const double base = 1.0 + i * delta;
    sigmas[i] = shifted(base, shift);
  }
  return sigmas;
}

}  // namespace

std::vector<double> flowSigmas(int steps, double shift) {
  checkScheduleArguments(steps, shift);
  std::vector<double> sigmas(steps + 1, 0.0);
  constexpr double kTrainTimesteps = 1000;
  for (int i = 0; i < steps; ++i) {
    const double base = 1.0 - (1.0 - 1.0 / kTrainTimesteps) * static_cast<double>(i) / steps;
    sigmas[i] = shifted(base, shift);
  }
  if (std::abs(sigmas[0] - 1.0) < 1e-6) sigmas[0] -= 1e-6;
  return sigmas;
}

std::vector<double> flowMatchEulerSigmas(int steps, double shift) {
  checkScheduleArguments(steps, shift);
  // The training table is float32 arithmetic: σ = t / 1000 for t = 1000 … 1, shifted.
  const float s32 = static_cast<float>(shift);
  auto shifted32 = [&](float s) { return (s32 * s) / (1.0f + (s32 - 1.0f) * s); };
  const double tMax = 1000.0 * static_cast<double>(shifted32(1.0f));
  const double tMin = 1000.0 * static_cast<double>(shifted32(1.0f / 1000.0f));
  std::vector<double> sigmas(steps + 1, 0.0);
  for (int i = 0; i < steps; ++i) {
    // numpy's linspace in float64, the second shift in float64, then a float32 tensor.
    const double t = steps == 1 ? tMax : tMax + (tMin - tMax) * i / (steps - 1);
    const double s = t / 1000.0;
    sigmas[i] = static_cast<float>(shifted(s, shift));
  }
  return sigmas;
}

std::vector<double> hunyuanVideoSigmas(int steps, double shift) {
  checkScheduleArguments(steps, shift);
  const float s32 = static_cast<float>(shift);
  std::vector<double> sigmas(steps + 1, 0.0);
  for (int i = 0; i < steps; ++i) {
    // numpy's linspace in float64, cast to float32; the shift in float32 (a Python float times a
    // float32 array stays float32).
    const float s = static_cast<float>(1.0 - static_cast<double>(i) / steps);
    sigmas[i] = (s32 * s) / (1.0f + (s32 - 1.0f) * s);
  }
  return sigmas;
}

std::vector<double> wanDpmSigmas(int steps, double shift) {
  std::vector<double> sigmas = wanDpmSigmas64(steps, shift);
  for (double& s : sigmas) s = static_cast<float>(s);
  sigmas.push_back(0.0);
  return sigmas;
}

std::vector<double> wanDpmTimesteps(int steps, double shift) {
  std::vector<double> t = wanDpmSigmas64(steps, shift);
  for (double& s : t) s = std::trunc(s * 1000.0);
  return t;
}

at::Tensor Sampler::predictX0(const at::Tensor& velocity, int i, const at::Tensor& sample) const {
  return sample - velocity * sigma(i);
}

}  // namespace svgen
