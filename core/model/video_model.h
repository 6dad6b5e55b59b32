// A text-to-video model as the Engine drives it: text in, a DiT over latents, frames out.
// The built-in model (pixels or its own latents) and Wan 2.1 checkpoints both implement it around
// WanDiT.
#pragma once
#include "core/io/video.h"
#include "core/model/model_info.h"
#include "core/model/wan_dit.h"

#include <ATen/core/Tensor.h>

#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace svgen {

class VideoModel {
 public:
  virtual ~VideoModel() = default;
  virtual const ModelInfo& info() const = 0;
  virtual const WanDiT& dit() const = 0;
  // Throws InputError when a prompt cannot be encoded (unknown words, too long).
  virtual void checkPrompt(const std::string& prompt) const = 0;
  // Text states (B, tokens, textDim) for the DiT's cross-attention.
  virtual at::Tensor encodeText(const std::vector<std::string>& prompts) = 0;
  // Latent shape (channels, frames, height, width) for a clip of that many frames and pixels.
  virtual std::vector<int64_t> latentShape(int frames, int height, int width) const = 0;
  // Latent (1, C, F, H, W) → `frames` RGB frames.
  virtual Video decode(const at::Tensor& latent, int frames, double fps) = 0;
  // What the run shows after a step: the whole clip where decoding is cheap; a model with a heavy
  // decoder may show less (Wan decodes only the first latent frame).
  virtual Video preview(const at::Tensor& latent, int frames, double fps) {
    return decode(latent, frames, fps);
  }
  // Called between the pieces of a long decode; throwing from it (Cancelled) stops the decode.
  // The Engine sets it for the length of one run.
  void setCancelCheck(std::function<void()> check) { cancelCheck_ = std::move(check); }

 protected:
  void checkCancel() const {
    if (cancelCheck_) cancelCheck_();
  }

 private:
  std::function<void()> cancelCheck_;
};

// "builtin" or a checkpoint path. Loads the weights onto `device`.
std::unique_ptr<VideoModel> loadVideoModel(const std::string& id, const at::Device& device);

// What loadVideoModel would load, without loading the weights.
ModelInfo describeVideoModel(const std::string& id);

}  // namespace svgen
