// Does the denoiser draw the prompt's shape, or the outline its input shows?
//
// Sampling from the earlier built-in models laid down a round blob in its first steps, and the
// later steps sharpened whatever outline their input showed (MODEL_CARD.md, "The denoiser, not
// only the first prediction"). This measures that directly, without sampling: held-in one-object
// clips of a square, triangle or star are noised to σ, once as rendered and once with the object
// redrawn as a circle (the blob), and the model's clean-clip prediction is scored by the
// eval-prompts shape rule. A model that follows its prompt draws the prompt's shape from both
// inputs once σ is low enough for the object's place to show; one that copies its input draws a
// circle from the circle. Qt-free.
#pragma once
#include "core/data/scene.h"

#include <ATen/core/Tensor.h>

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace svgen {

// The model's clean-clip predictions (B, 3, T, H, W) in [-1, 1] for the clean clips `clean`
// (B, 3, T, H, W, in [-1, 1]) noised to σ, one prompt per clip. The noise comes from
// `noiseSeed` and is the same for every clip of a call, so that only the drawn shape differs
// between the two inputs of a prompt; a prompt gets the same seed at every level, so that its
// levels differ only by σ and a level's result does not depend on which others are asked.
using NoisedPredictor =
    std::function<at::Tensor(const at::Tensor& clean, double sigma,
                             const std::vector<std::string>& prompts, uint64_t noiseSeed)>;

struct ShapeFollowOptions {
  int prompts = 12;
  std::vector<double> sigmas{0.95, 0.9, 0.8, 0.7, 0.6, 0.5};
  uint64_t seed = 1;  // which prompts (SceneSampler(seed), held in) and their noise seeds
  int frames = 16, height = 128, width = 128;
};

struct ShapeFollowCase {
  std::string prompt;
  Shape shape = Shape::Square;
  // Per level, in the order of ShapeFollowOptions::sigmas: the shape the scorer saw in the
  // prediction (-1: none), from the circle input and from the rendered one.
  std::vector<int> drawnFromCircle, drawnFromTrue;
};

struct ShapeFollowLevel {
  double sigma = 0;
  int rightFromCircle = 0;  // predictions with the prompt's shape, input drawn as a circle
  int rightFromTrue = 0;    // ... input as rendered
  // Mean over prompts of |p − c|² / (|p − c|² + |p − r|²) for the prediction p (clamped to
  // [-1, 1]) from the circle input, the circle clip c and the rendered clip r, over the pixels
  // where c and r differ: above 0.5 the prediction is nearer the prompt's shape than the circle
  // it was shown.
  double pull = 0;
};

struct ShapeFollowReport {
  std::vector<ShapeFollowCase> cases;
  std::vector<ShapeFollowLevel> levels;
};

// Throws InputError for fewer than one prompt, no σ or one outside (0, 1), or predictions of
// another shape than (2, 3, frames, height, width).
ShapeFollowReport measureShapeFollow(const NoisedPredictor& predict,
                                     const ShapeFollowOptions& options);

}  // namespace svgen
