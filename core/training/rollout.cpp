#include "core/training/rollout.h"

#include "core/common/error.h"
#include "core/sampling/guidance.h"
#include "core/sampling/sampler.h"
#include "core/training/noise_levels.h"

#include <c10/core/GradMode.h>

#include <string>
#include <vector>

namespace svgen {

RolloutLevels drawRolloutLevels(int steps, double shift, int64_t count, const at::Device& device) {
  if (steps < 2)
    throw InputError("rollout needs a schedule of at least 2 steps, got " + std::to_string(steps));
  const std::vector<double> sigmas = flowSigmas(steps, shift);
  const at::Tensor grid = at::tensor(sigmas, at::kDouble).to(at::kFloat).to(device);
  const at::Tensor index =
      at::randint(0, steps - 1, {count}, at::TensorOptions().dtype(at::kLong).device(device));
  return {grid.index_select(0, index), grid.index_select(0, index + 1)};
}

at::Tensor stepToLevel(const at::Tensor& sample, const at::Tensor& x0Hat, const at::Tensor& from,
                       const at::Tensor& to) {
  std::vector<int64_t> shape(static_cast<size_t>(sample.dim()), 1);
  shape[0] = -1;
  const at::Tensor ratio = (to / from).view(shape).to(sample.scalar_type());
  return x0Hat + ratio * (sample - x0Hat);
}

at::Tensor rolloutInputs(const X0Predictor& predict, const at::Tensor& x0, const at::Tensor& noise,
                         const at::Tensor& ids, const RolloutLevels& r, double guidance) {
  c10::NoGradGuard noGrad;
  const int64_t n = x0.size(0);
  const at::Tensor from = r.from.view({-1, 1, 1, 1, 1});
  const at::Tensor sample = (1 - from) * x0 + from * noise;
  const at::Tensor t = timestepOf(r.from);
  if (guidance == 1.0) return stepToLevel(sample, predict(sample, t, ids), r.from, r.to);
  // Prompted and empty prompts in one batch, as the Engine batches them.
  const at::Tensor both =
      predict(at::cat({sample, sample}), at::cat({t, t}), at::cat({ids, at::zeros_like(ids)}));
  const at::Tensor cond = both.narrow(0, 0, n), uncond = both.narrow(0, n, n);
  return stepToLevel(sample, classifierFreeGuidance(cond, uncond, guidance), r.from, r.to);
}

}  // namespace svgen
