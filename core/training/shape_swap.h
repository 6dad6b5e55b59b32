// Shape-swap clips: training inputs whose objects have another shape than the prompt says. At
// the sampler's noisy steps a clip shows only a faint outline, and the model's own first
// predictions are round blobs whatever the shape word (MODEL_CARD.md, "Why blobs"). A model
// trained only on inputs noised from the true clip learns to sharpen the faint outline it sees,
// which works in training and copies the blob in sampling. A swapped clip's input is noised from
// the same scene with every object's shape changed, while the target stays the true clip: at
// those noise levels the shape must come from the prompt. Position, size, colour and motion
// still come from the input.
#pragma once
#include "core/data/scene.h"

#include <cstdint>
#include <vector>

namespace svgen {

// Swapping applies at σ ≥ this by default; below it the outline is clear and is what the sample
// shows.
constexpr double kDefaultShapeSwapMinSigma = 0.6;

// The scenes with every object of each chosen scene given another shape, drawn from `seed`,
// among those that keep the object out of the held-out combinations (so held-out combinations
// never reach training, even as inputs) and that can show its motion (a spinning circle shows
// none). Unchosen scenes are returned unchanged.
std::vector<SceneSpec> swapShapes(const std::vector<SceneSpec>& scenes,
                                  const std::vector<bool>& chosen, uint64_t seed);

}  // namespace svgen
