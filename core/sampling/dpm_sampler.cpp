#include "core/sampling/dpm_sampler.h"

#include <cmath>
#include <stdexcept>
#include <string>

namespace svgen {

DpmSolverSampler::DpmSolverSampler(int steps, double shift)
    : Sampler(wanDpmSigmas(steps, shift)), timesteps_(wanDpmTimesteps(steps, shift)) {}

double DpmSolverSampler::modelTimestep(int i) const {
  return timesteps_.at(i);
}

double DpmSolverSampler::lambda(int i) const {
  const double s = sigma(i);
  return std::log(1.0 - s) - std::log(s);
}

at::Tensor DpmSolverSampler::step(const at::Tensor& velocity, int i, const at::Tensor& sample) {
  if (i != lastStep_ + 1)
    throw std::logic_error("the DPM++ sampler's steps must run in order: step " +
                           std::to_string(i) + " came after " + std::to_string(lastStep_));
  const at::Tensor x0 = predictX0(velocity, i, sample);
  const double sigmaT = sigma(i + 1), alphaT = 1.0 - sigmaT;
  const double h = lambda(i + 1) - lambda(i);
  // α_t·(e^{−h} − 1): at σ_s = 1 or σ_t = 0, h is infinite and e^{−h} is 0.
  const double x0Weight = -alphaT * std::expm1(-h);
  at::Tensor next = sample * (sigmaT / sigma(i)) + x0 * x0Weight;
  const bool last = i + 1 == numSteps();
  if (previousX0_.defined() && !last) {
    // Midpoint second order: D1 = (m0 − m1)/r0 with r0 = h0/h, weighted by half the x0 weight.
    // After σ = 1, h0 is infinite and D1 vanishes, as in the reference's float arithmetic.
    const double h0 = lambda(i) - lambda(i - 1);
    const double r0 = h0 / h;
    next = next + (x0 - previousX0_) * (0.5 * x0Weight / r0);
  }
  previousX0_ = x0;
  lastStep_ = i;
  return next;
}

}  // namespace svgen
