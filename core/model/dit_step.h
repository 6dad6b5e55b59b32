// One denoising step of a family built on WanDiT (the built-in model and Wan 2.1 both are): the
// prompt and the negative prompt as one batch of two, classifier-free guidance, and an
// x0-predicting network's output turned into the velocity the flow sampler steps with.
#pragma once
#include "core/model/video_model.h"
#include "core/model/wan_dit.h"

namespace svgen {

at::Tensor ditVelocity(const WanDiT& dit, const at::Tensor& x, const Conditioning& c,
                       const DenoiseStep& step);

}  // namespace svgen
