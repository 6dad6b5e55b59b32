// Training inputs noised from a blurred copy of the clip, the target staying sharp.
//
// Sampling starts from pure noise, where the model can only predict the average of the clips its
// prompt allows: a soft round blob where the object will be, whatever the shape word says. The
// next steps see that blob, weakly, through the noise. A model trained only on noised sharp clips
// reads the blob's outline as the object's and draws a crisp blob; the shape word is never used
// (MODEL_CARD.md, "Why blobs"). Training on blurred signals at high noise teaches it to draw the
// prompted shape around a soft blob instead.
#pragma once
#include <ATen/ATen.h>

namespace svgen {

// Noisy clips (σ in [kBlurSigmaMin, 1)) whose signal may be blurred.
constexpr double kBlurSigmaMin = 0.8;
// The largest blur, a Gaussian's standard deviation as a share of the shorter side: about 10
// pixels at 128, as wide as the blob that pure noise predicts for a jittered object.
constexpr double kMaxBlurShare = 0.08;

// The signals to noise: x0 (B, C, T, H, W), with each clip whose σ lies in [kBlurSigmaMin, 1)
// replaced, with probability `share`, by a spatial Gaussian blur of itself (every frame alike)
// whose standard deviation is uniform in (0, kMaxBlurShare · min(H, W)]. Draws come from `gen`
// (a CPU generator) whatever the device. share 0 returns x0 and draws nothing.
at::Tensor blurredSignals(const at::Tensor& x0, const at::Tensor& sigma, double share,
                          at::Generator& gen);

// Gaussian blur of every frame of one clip (C, T, H, W) with standard deviation `std` pixels,
// edges reflected.
at::Tensor gaussianBlurFrames(const at::Tensor& clip, double std);

}  // namespace svgen
