#include "core/training/shape_swap.h"

#include "core/common/error.h"
#include "core/data/seeded_rng.h"

namespace svgen {

std::vector<SceneSpec> swapShapes(const std::vector<SceneSpec>& scenes,
                                  const std::vector<bool>& chosen, uint64_t seed) {
  if (chosen.size() != scenes.size())
    throw InputError("swapShapes: one choice per scene is needed");
  std::vector<SceneSpec> out = scenes;
  Rng rng(seed);
  for (size_t i = 0; i < out.size(); ++i) {
    if (!chosen[i]) continue;
    for (ObjectSpec& o : out[i].objects) {
      std::vector<Shape> others;
      for (int k = 0; k < kShapeCount; ++k) {
        const auto shape = static_cast<Shape>(k);
        if (shape != o.shape && !isHeldOut(o.color, shape, o.motion) &&
            motionIsVisible(shape, o.motion))
          others.push_back(shape);
      }
      if (!others.empty()) o.shape = others[rng.below(static_cast<int>(others.size()))];
    }
  }
  return out;
}

}  // namespace svgen
