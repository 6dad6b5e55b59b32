// UniPC multistep (bh2, order 2, x0 prediction, lower order at the last step) on flow sigmas:
// Wan 2.1's default solver. The network sees integer timesteps (⌊1000·σ⌋) while the solver uses
// the float sigmas, as the reference schedulers do.
#pragma once
#include "core/sampling/sampler.h"

#include <ATen/ATen.h>

#include <deque>

namespace svgen {

class UniPCSampler : public Sampler {
 public:
  UniPCSampler(int steps, double shift, int order = 2);
  double modelTimestep(int i) const override;
  at::Tensor step(const at::Tensor& velocity, int i, const at::Tensor& sample) override;

 private:
  double lambda(int i) const;  // log(α/σ) at σ_i with α = 1 − σ
  // Corrector: refines the sample that just arrived at step i using the new x0 estimate.
  at::Tensor correct(const at::Tensor& x0, const at::Tensor& sample, int i) const;
  // Predictor: from step i to i + 1 with the stored x0 estimates.
  at::Tensor predict(const at::Tensor& sample, int i, int order) const;

  int order_;
  std::deque<at::Tensor> x0History_;  // newest last; at most order_ entries
  std::deque<int> stepHistory_;
  at::Tensor lastSample_;
  int lastOrder_ = 0;
  int lowerOrderCount_ = 0;
};

}  // namespace svgen
