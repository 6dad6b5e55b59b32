// A model family as the Engine drives it: encode the conditioning once, predict the velocity of one
// denoising step (guidance included) as often as the sampler asks, decode the latent to frames,
// and describe itself (ModelInfo: defaults, limits, token grid). The Engine knows nothing else of
// a family: the built-in model (core/model/builtin/) and Wan 2.1 (core/model/wan/) both implement
// it, each registered in core/model/model_family.h.
#pragma once
#include "core/common/error.h"
#include "core/io/video.h"
#include "core/model/model_info.h"

#include <ATen/core/Tensor.h>

#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace svgen {

class AttentionBackend;

// What the prompts became, read by every step. The layout is the family's own.
struct Conditioning {
  at::Tensor text;            // the family's text states, the negative prompt's second if any
  bool withNegative = false;  // the batch holds the negative prompt (classifier-free guidance)
  // Image-to-video (VideoModel::addImage): the start image's tokens, read by cross-attention, and
  // its latent condition, joined to the latent's channels; both prompts see the same image.
  // Undefined for text-to-video.
  at::Tensor imageTokens;
  at::Tensor imageLatent;
  // TI2V: the start image's latent (1, C, 1, h, w), which is the clip's first latent frame, clean
  // at every step (VideoModel::constrainLatent keeps it there). Undefined otherwise.
  at::Tensor firstFrame;
  // A pooled text embedding, where the family has one (HunyuanVideo's CLIP-L).
  at::Tensor pooled;
};

// How a model spends device memory for a run (the Engine's memory plan decides).
struct MemoryChoices {
  bool tiledDecode = false;       // decode in overlapping spatial tiles
  bool textEncoderOnCpu = false;  // encode the prompts on the CPU and hand the states over
  bool streamBlocks = false;      // the denoiser's blocks in host memory, streamed in per pass
};

// One denoising step as the Engine asks for it.
struct DenoiseStep {
  int index = 0;  // step i of `count`: attention methods decide per step
  int count = 1;
  double sigma = 1;             // the latent's noise level
  double timestep = 1000;       // what the network is fed (the sampler's own rounding of 1000·σ)
  double guidance = 1;          // classifier-free guidance scale, used when the conditioning has a
                                // negative prompt
  double lowNoiseGuidance = 1;  // two-expert models: the scale below ModelInfo::expertBoundary
  AttentionBackend* attention = nullptr;  // self-attention over the video tokens; null: dense
  // Called before each transformer layer; throwing from it (Cancelled) stops the step there.
  std::function<void(int layer)> beforeLayer;
  // Memory levers: the guidance batch's two samples one pass after the other, and the
  // feed-forward over this many tokens at a time (0: all at once).
  bool guidanceInTurn = false;
  int64_t ffnChunkTokens = 0;
};

class VideoModel {
 public:
  virtual ~VideoModel() = default;
  virtual const ModelInfo& info() const = 0;
  // Throws InputError when a prompt cannot be encoded (unknown words, too long).
  virtual void checkPrompt(const std::string& prompt) const = 0;
  // The prompt, and the negative prompt when `negative` is given (guidance runs then).
  virtual Conditioning encode(const std::string& prompt, const std::string* negative) = 0;
  // Image-to-video models (info().imageToVideo): conditions `c` on the clip's start image, an RGB
  // frame of any size, which the model fits to `width` × `height` (scaled to cover, centred,
  // cropped). Others throw InputError.
  virtual void addImage(Conditioning& c, const Video& image, int frames, int height, int width) {
    throw InputError(info().label + " takes no start image: it makes video from text only");
  }
  // What the latent must hold whatever the sampler makes of it, applied to the initial noise and
  // after every step: TI2V's start image stays its first frame.
  virtual at::Tensor constrainLatent(const at::Tensor& x, const Conditioning& c) const { return x; }
  // Latent shape (channels, frames, height, width) for a clip of that many frames and pixels.
  virtual std::vector<int64_t> latentShape(int frames, int height, int width) const = 0;
  // The flow velocity at latent x (1, C, F, H, W) that the sampler steps with, guidance applied.
  virtual at::Tensor velocity(const at::Tensor& x, const Conditioning& c,
                              const DenoiseStep& step) = 0;
  // Latent (1, C, F, H, W) → `frames` RGB frames.
  virtual Video decode(const at::Tensor& latent, int frames, double fps) = 0;
  // What the run shows after a step: the whole clip where decoding is cheap; a model with a heavy
  // decoder may show less (Wan decodes only the first latent frame).
  virtual Video preview(const at::Tensor& latent, int frames, double fps) {
    return decode(latent, frames, fps);
  }
  // The name of the first weight holding NaN or Inf, or "" (asked only after a step went bad, so
  // it may be slow).
  virtual std::string firstNonFiniteWeight() const { return {}; }
  // From now on (the Engine sets them per run); models with a light decoder and text encoder
  // ignore them.
  virtual void setMemoryChoices(const MemoryChoices& choices) {}
  // Rewrites the attention heads as structured random weights calibrated for `grid`
  // (GenerationRequest::structuredAttention); false when the model has no such heads.
  virtual bool structureAttention(uint64_t seed, const std::array<int64_t, 3>& grid) {
    return false;
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

}  // namespace svgen
