// What a built-in model predicts from pure noise, against the best possible prediction.
//
// Sampling starts at σ = 1, where the clip is pure noise and the model can only answer with what
// the prompt allows. The prediction that minimises the training loss there is the average of all
// clips the prompt allows, which this measures by rendering many of them (the renderer is the
// data). Later steps refine what this first prediction lays down; the built-in model predicts a
// round blob for "star" here and draws blobs (MODEL_CARD.md, "Why blobs"). It needs no sampling,
// so it is cheap on a CPU. Qt-free.
#pragma once
#include "core/data/scene.h"
#include "core/io/video.h"

#include <ATen/core/Tensor.h>

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace svgen {

// The model's prediction of the clean clips (B, 3, T, H, W) in [-1, 1] from pure noise, one per
// prompt, all from the same noise (a call holds the five shape variants of one prompt).
using PureNoisePredictor = std::function<at::Tensor(const std::vector<std::string>& prompts)>;

struct PriorOptions {
  int bases = 4;      // one-object prompts, each asked with every shape
  int renders = 32;   // clips averaged per prompt
  uint64_t seed = 1;  // which prompts (SceneSampler) and which renders
  int frames = 16, height = 128, width = 128;
  double fps = 8.0;  // of the sheet
};

struct PriorCase {
  std::string prompt;
  Shape shape = Shape::Circle;
  double gap = 0;  // mean squared difference between the prediction and the average
};

struct PriorReport {
  std::vector<PriorCase> cases;  // base-major, shapes in enum order
  // How much of what the shape word should change the model gets right. Per base, each shape's
  // part is its clip minus the mean over the five shapes, for the averages (a) and for the
  // predictions (m); over all bases and shapes, shapeFit = 1 - Σ|m - a|² / Σ|a|². 1: the
  // predictions differ between shape words exactly as the averages do; 0: no better than
  // ignoring the word; below 0: they differ in the wrong way (a change of size where the outline
  // should change counts against it).
  double shapeFit = 0;
  double meanGap = 0;
  // Per base two rows, the averages above the model's predictions, one column per shape; every
  // frame of the clips.
  Video sheet;
};

// Bases are held-in one-object scenes of SceneSampler(seed) whose motion every shape can show
// (no spinning) and whose five shape variants are all held in. Throws InputError for fewer than
// one base, fewer than 2 or more than 10007 renders, or predictions of another shape than
// (5, 3, frames, height, width).
PriorReport measurePureNoisePrior(const PureNoisePredictor& predict, const PriorOptions& options);

}  // namespace svgen
