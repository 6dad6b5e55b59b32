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
  options.ffnChunkTokens = step.ffnChunkTokens;
  // TI2V's start image is the latent's first frame, clean: its tokens come first.
  if (c.firstFrame.defined()) {
    const WanConfig& w = dit.config();
    options.cleanPrefixTokens = (x.size(3) / w.patch[1]) * (x.size(4) / w.patch[2]);
  }
  const bool cfg = c.withNegative;
  // Image-to-video: the image condition joins the latent's channels; its tokens go beside the text.
  const at::Tensor input =
      c.imageLatent.defined() ? at::cat({x, c.imageLatent.to(x.device(), x.scalar_type())}, 1) : x;
  auto timesteps = [&](int64_t batch) {
    return at::full({batch}, step.timestep,
                    at::TensorOptions().dtype(at::kFloat).device(x.device()));
  };
  at::Tensor out;
  if (cfg && step.guidanceInTurn) {
    // Half the activations: the prompt's pass, then the negative prompt's.
    const at::Tensor t = timesteps(1);
    out = at::cat({dit.forward(input, t, c.text.narrow(0, 0, 1), c.imageTokens, options),
                   dit.forward(input, t, c.text.narrow(0, 1, 1), c.imageTokens, options)},
                  0);
  } else {
    out = dit.forward(cfg ? at::cat({input, input}, 0) : input, timesteps(cfg ? 2 : 1), c.text,
                      c.imageTokens, options);
  }
  at::Tensor guided = cfg ? classifierFreeGuidance(out[0], out[1], step.guidance) : out[0];
  guided = guided.unsqueeze(0);
  // An x0-predicting network is turned into the velocity the flow sampler expects.
  return dit.config().prediction == "x0" ? (x - guided) / step.sigma : guided;
}

}  // namespace svgen
