// Reading scenes back out of video: where an object of a given colour is, frame by frame, and what
// the background is. The evaluator scores generated clips with these against the SceneSpec.
#pragma once
#include <ATen/core/Tensor.h>

#include <vector>

namespace svgen {

// One entry per frame. cx, cy: centroid of the matching pixels as fractions of the frame width and
// height (NaN in frames with no matching pixel); area: matching pixels as a fraction of the frame.
struct ObjectTrack {
  std::vector<float> cx, cy, area;
};

// Default tolerance for "close to a colour": well under the smallest distance between two palette
// colours (about 80) and under the sampler's margin between object colours and gradient blends.
constexpr float kColorTolerance = 50.0f;

// Tracks pixels of `clip` ((3, T, H, W) float in [-1, 1], any device) whose sRGB colour lies within
// `tolerance` (Euclidean, 0..255 units) of palette colour `paletteIndex`.
ObjectTrack trackColor(const at::Tensor& clip, int paletteIndex, float tolerance = kColorTolerance);

// The palette colour nearest to an sRGB colour given in 0..255 units.
int nearestPaletteColor(float r, float g, float b);

// For each palette colour, the fraction of the clip's border pixels (outermost rows and columns of
// every frame) whose nearest palette colour it is. Solid backgrounds give one clear peak; gradients
// and stripes give their two colours (gradients also some blends in between).
std::vector<float> borderColorHistogram(const at::Tensor& clip);

// The palette colour that most of the border pixels are nearest to.
int estimateBackgroundColor(const at::Tensor& clip);

}  // namespace svgen
