#include "core/training/rollout.h"

#include "core/common/error.h"
#include "core/sampling/sampler.h"

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

}  // namespace svgen
