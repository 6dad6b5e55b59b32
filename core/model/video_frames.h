// Decoded pixels as a Video: the one place that turns a model's [−1, 1] RGB tensor into bytes.
#pragma once
#include "core/io/video.h"

#include <ATen/core/Tensor.h>

namespace svgen {

// `rgb` is (3, T, H, W) on any device and dtype, in [−1, 1] (values outside are clamped); the
// first `frames` frames are kept (the rest is padding).
Video videoFromUnitRange(const at::Tensor& rgb, int frames, double fps);

}  // namespace svgen
