// Classifier-free guidance, as every caller forms it: the unconditional prediction moved `scale`
// times its distance towards the conditional one (1: the conditional prediction itself). Linear,
// so it is the same on a velocity and on the clean sample it implies.
#pragma once
#include <ATen/ATen.h>

namespace svgen {

inline at::Tensor classifierFreeGuidance(const at::Tensor& cond, const at::Tensor& uncond,
                                         double scale) {
  return uncond + (cond - uncond) * scale;
}

}  // namespace svgen
