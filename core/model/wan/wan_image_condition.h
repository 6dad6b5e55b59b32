// Wan 2.1 image-to-video's first-frame condition, as the Wan2.1 repository's image2video.py and
// diffusers' WanImageToVideoPipeline build it: the start image followed by zero (mid-grey) frames
// goes through the VAE's encoder, and four mask channels (the VAE's frames per latent frame) mark
// the first latent frame as given. The DiT reads both after the latent's own channels.
#pragma once
#include "core/io/video.h"

#include <ATen/core/Tensor.h>

#include <cstdint>

namespace svgen {

// The first frame of `image` as (1, 3, height, width) float32 on the CPU in [−1, 1]: scaled so it
// covers the clip (bicubic, antialiased when shrinking), its middle kept, so a photo of another
// shape is cropped, never stretched.
at::Tensor fitStartImage(const Video& image, int height, int width);

// The clip the VAE encodes for the condition: the image, then frames − 1 zero frames,
// (1, 3, frames, height, width).
at::Tensor conditionClip(const at::Tensor& image, int frames);

// (1, 4, latentFrames, h, w): ones over the first latent frame (the image's four mask frames),
// zeros after it, float32 on `like`'s device.
at::Tensor firstFrameMask(int64_t latentFrames, int64_t h, int64_t w, const at::Tensor& like);

}  // namespace svgen
