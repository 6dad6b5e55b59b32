#include "core/model/dit_step.h"

#include "core/sampling/guidance.h"

#include <ATen/ATen.h>

namespace svgen {

at::Tensor ditVelocity(const WanDiT& dit, const at::Tensor& x, const Conditioning& c,
                       const DenoiseStep& step) {
  DiTForwardOptions options;
  options.attention = step.attention;
  options.step = step.index;
  options.numSteps = step.count;
  options.beforeLayer = step.beforeLayer;
  const bool cfg = c.withNegative;
  const int64_t batch = cfg ? 2 : 1;
  const at::Tensor input = cfg ? at::cat({x, x}, 0) : x;
  const at::Tensor t =
      at::full({batch}, step.timestep, at::TensorOptions().dtype(at::kFloat).device(x.device()));
  const at::Tensor out = dit.forward(input, t, c.text, options);
  at::Tensor guided = cfg ? classifierFreeGuidance(out[0], out[1], step.guidance) : out[0];
  guided = guided.unsqueeze(0);
  // An x0-predicting network is turned into the velocity the flow sampler expects.
  return dit.config().prediction == "x0" ? (x - guided) / step.sigma : guided;
}

}  // namespace svgen
