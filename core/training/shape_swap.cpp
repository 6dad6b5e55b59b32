#include "core/training/shape_swap.h"

#include "core/common/error.h"

namespace svgen {

std::vector<SceneSpec> swapShapes(const std::vector<SceneSpec>& scenes,
                                  const std::vector<bool>& chosen, uint64_t seed) {
  if (chosen.size() != scenes.size())
    throw InputError("swapShapes: one choice per scene is needed");
  std::vector<SceneSpec> out = scenes;
  uint64_t state = seed;
  auto next = [&state] {  // splitmix64: a fixed stream on every platform
    uint64_t z = (state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  };
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
      if (!others.empty()) o.shape = others[next() % others.size()];
    }
  }
  return out;
}

}  // namespace svgen
