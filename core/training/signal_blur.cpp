#include "core/training/signal_blur.h"

#include <algorithm>
#include <cmath>

namespace svgen {

at::Tensor gaussianBlurFrames(const at::Tensor& clip, double std) {
  const int64_t C = clip.size(0), H = clip.size(2), W = clip.size(3);
  // Reflection padding needs a radius below the side.
  const int64_t radius = std::min<int64_t>(std::ceil(3 * std), std::min(H, W) - 1);
  if (radius < 1) return clip;
  at::Tensor k = at::arange(-radius, radius + 1, clip.options());
  k = at::exp(-k * k / (2 * std * std));
  k = k / k.sum();
  at::Tensor frames = clip.transpose(0, 1);  // (T, C, H, W): conv2d's batch is the frames
  // Named arrays: an IntArrayRef made from a braced list would outlive its temporary.
  const int64_t oneValue[1] = {1}, noneValue[1] = {0};
  const at::IntArrayRef one(oneValue), none(noneValue);
  at::Tensor across = k.view({1, 1, 1, -1}).expand({C, 1, 1, 2 * radius + 1});
  frames = at::conv2d(at::reflection_pad2d(frames, {radius, radius, 0, 0}), across, {}, one, none,
                      one, C);
  at::Tensor down = k.view({1, 1, -1, 1}).expand({C, 1, 2 * radius + 1, 1});
  frames =
      at::conv2d(at::reflection_pad2d(frames, {0, 0, radius, radius}), down, {}, one, none, one, C);
  return frames.transpose(0, 1);
}

at::Tensor blurredSignals(const at::Tensor& x0, const at::Tensor& sigma, double share,
                          at::Generator& gen) {
  if (share <= 0) return x0;
  const int64_t B = x0.size(0);
  const at::Tensor s = sigma.detach().to(at::kCPU, at::kFloat).contiguous();
  const at::Tensor pick = at::empty({B}).uniform_(0, 1, gen);
  const at::Tensor amount = at::empty({B}).uniform_(0, 1, gen);
  const double maxStd = kMaxBlurShare * static_cast<double>(std::min(x0.size(3), x0.size(4)));
  at::Tensor out;
  for (int64_t b = 0; b < B; ++b) {
    const float level = s[b].item<float>();
    if (level < kBlurSigmaMin || level >= 1 || pick[b].item<float>() >= share) continue;
    if (!out.defined()) out = x0.clone();
    // 1 - u: the standard deviation is never 0, so every picked clip is blurred.
    const double std = maxStd * (1.0 - amount[b].item<double>());
    out[b].copy_(gaussianBlurFrames(x0[b], std));
  }
  return out.defined() ? out : x0;
}

}  // namespace svgen
