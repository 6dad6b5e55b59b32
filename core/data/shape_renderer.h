// Draws SceneSpecs into video tensors with tensor ops (signed distance fields), so the same code
// renders on the GPU during training and on the CPU for tests and evaluation.
#pragma once
#include "core/data/scene.h"

#include <ATen/core/Tensor.h>

#include <vector>

namespace svgen {

// Renders a batch of scenes to a (B, 3, T, H, W) float tensor in [-1, 1] (sRGB / 127.5 - 1) on
// `device`. Frame f shows clip time f / (T - 1), so the whole motion fits in any frame count.
// Sizes are relative to the shorter side, positions to each axis. Edges are antialiased over about
// one pixel; pixels wholly inside a shape or the background carry the exact palette colour.
// Deterministic: the same scenes give the same tensor on a given device.
at::Tensor renderScenes(const std::vector<SceneSpec>& scenes, int frames, int height, int width,
                        const at::Device& device);

}  // namespace svgen
