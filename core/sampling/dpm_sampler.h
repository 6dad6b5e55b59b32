// Flow-matching DPM-Solver++ 2M (midpoint, x0 prediction): the "dpm++" solver of Wan 2.1's own
// repository. Its σ list is Wan's, not diffusers' flow sigmas: linspace(1, 0, N + 1) without the
// end, shifted, so σ_0 is exactly 1 (where log α = −∞ turns the first step into a pure x0 step).
// First order at the first step and at the last (its final σ is zero), second order between.
#pragma once
#include "core/sampling/sampler.h"

#include <ATen/ATen.h>

namespace svgen {

class DpmSolverSampler : public Sampler {
 public:
  DpmSolverSampler(int steps, double shift);
  // wanDpmTimesteps.
  double modelTimestep(int i) const override;
  at::Tensor step(const at::Tensor& velocity, int i, const at::Tensor& sample) override;

 private:
  double lambda(int i) const;  // log(α/σ) with α = 1 − σ; −∞ at σ = 1, +∞ at σ = 0

  std::vector<double> timesteps_;
  at::Tensor previousX0_;  // the x0 estimate of step i − 1, for the second-order term
  int lastStep_ = -1;
};

}  // namespace svgen
