#include "core/data/scene_analysis.h"

#include "core/common/error.h"
#include "core/data/scene.h"

#include <ATen/ATen.h>

#include <algorithm>
#include <cmath>
#include <limits>

namespace svgen {

namespace {

void checkClip(const at::Tensor& clip) {
  if (clip.dim() != 4 || clip.size(0) != 3) {
    throw InputError("expected a clip of shape (3, T, H, W), got " + std::to_string(clip.dim()) +
                     " dimensions");
  }
}

// (3, ...) in [-1, 1] → same shape in sRGB 0..255, float.
at::Tensor toSrgb(const at::Tensor& clip) {
  return (clip.to(at::kFloat) + 1) * 127.5;
}

at::Tensor paletteTensor(const at::TensorOptions& opts) {
  std::vector<float> rgb;
  for (const auto& c : palette()) rgb.insert(rgb.end(), {float(c.r), float(c.g), float(c.b)});
  const int64_t n = static_cast<int64_t>(palette().size());
  return at::from_blob(rgb.data(), {n, 3}, at::kFloat).to(opts, false, /*copy=*/true);
}

}  // namespace

ObjectTrack trackColor(const at::Tensor& clip, int paletteIndex, float tolerance) {
  checkClip(clip);
  const auto& P = palette();
  if (paletteIndex < 0 || paletteIndex >= static_cast<int>(P.size())) {
    throw InputError("colour index " + std::to_string(paletteIndex) + " is not in the palette");
  }
  const int64_t T = clip.size(1), H = clip.size(2), W = clip.size(3);
  const at::TensorOptions opts = at::TensorOptions().dtype(at::kFloat).device(clip.device());
  const NamedColor& c = P[paletteIndex];
  const at::Tensor target =
      at::tensor(std::vector<float>{float(c.r), float(c.g), float(c.b)}, at::kFloat)
          .to(opts)
          .view({3, 1, 1, 1});
  const at::Tensor dist2 = (toSrgb(clip) - target).square().sum(0);  // (T, H, W)
  const at::Tensor mask = (dist2 < tolerance * tolerance).to(at::kFloat);
  const at::Tensor xs = at::arange(W, opts).add_(0.5).div_(static_cast<double>(W));
  const at::Tensor ys = at::arange(H, opts).add_(0.5).div_(static_cast<double>(H));
  const at::Tensor count = mask.sum({1, 2});
  const at::Tensor sumX = (mask * xs.view({1, 1, W})).sum({1, 2});
  const at::Tensor sumY = (mask * ys.view({1, H, 1})).sum({1, 2});
  const at::Tensor stats = at::stack({count, sumX, sumY}).cpu().contiguous();
  const float* s = stats.data_ptr<float>();
  ObjectTrack track;
  const float nan = std::numeric_limits<float>::quiet_NaN();
  for (int64_t t = 0; t < T; ++t) {
    const float n = s[t];
    track.area.push_back(n / static_cast<float>(H * W));
    track.cx.push_back(n > 0 ? s[T + t] / n : nan);
    track.cy.push_back(n > 0 ? s[2 * T + t] / n : nan);
  }
  return track;
}

int nearestPaletteColor(float r, float g, float b) {
  const auto& P = palette();
  int best = 0;
  float bestD = std::numeric_limits<float>::max();
  for (size_t i = 0; i < P.size(); ++i) {
    const float d =
        (P[i].r - r) * (P[i].r - r) + (P[i].g - g) * (P[i].g - g) + (P[i].b - b) * (P[i].b - b);
    if (d < bestD) {
      bestD = d;
      best = static_cast<int>(i);
    }
  }
  return best;
}

std::vector<float> borderColorHistogram(const at::Tensor& clip) {
  checkClip(clip);
  const int64_t H = clip.size(2), W = clip.size(3);
  const at::Tensor rgb = toSrgb(clip);
  // Rows 0 and H-1, and columns 0 and W-1 (corners counted twice, which does not matter).
  const at::Tensor border =
      at::cat({rgb.select(2, 0), rgb.select(2, H - 1), rgb.select(3, 0), rgb.select(3, W - 1)}, 2)
          .reshape({3, -1})
          .t();  // (pixels, 3)
  const at::Tensor pal = paletteTensor(border.options());
  const at::Tensor nearest = at::cdist(border, pal).argmin(1);
  const int64_t nColors = static_cast<int64_t>(palette().size());
  const at::Tensor counts = at::bincount(nearest, {}, nColors).to(at::kFloat).cpu();
  const float total = std::max(1.0f, counts.sum().item<float>());
  std::vector<float> histogram(nColors);
  for (int64_t i = 0; i < nColors; ++i) histogram[i] = counts[i].item<float>() / total;
  return histogram;
}

int estimateBackgroundColor(const at::Tensor& clip) {
  const std::vector<float> h = borderColorHistogram(clip);
  return static_cast<int>(std::max_element(h.begin(), h.end()) - h.begin());
}

}  // namespace svgen
