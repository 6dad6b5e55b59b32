// Plain data of one generation: what is asked, what is reported while it runs, what comes out.
// No LibTorch and no Qt here, so the studio and the CLI share these types as they are.
#pragma once
#include "core/attention/attention_config.h"
#include "core/io/video.h"
#include "core/model/model_info.h"

#include <cstdint>
#include <string>
#include <vector>

namespace svgen {

struct GenerationRequest {
  std::string model = "builtin";  // "builtin" or a checkpoint path
  std::string prompt;
  std::string negativePrompt;
  int frames = 0;        // 0: the model's default
  int width = 0;         // 0: the model's default
  int height = 0;        // 0: the model's default
  int steps = 0;         // 0: the model's default
  double guidance = -1;  // < 0: the model's default
  // Two-expert models (Wan 2.2 A14B): the low-noise expert's guidance scale; < 0: the model's
  // default when `guidance` is the model's default too, else `guidance`. Others take none.
  double lowNoiseGuidance = -1;
  double shift = -1;  // < 0: the model's default
  uint64_t seed = 42;
  std::string sampler;  // one of samplerNames(); "": the model's (ModelInfo::defaultSampler)
  std::string device = "auto";  // "auto", "cpu" or "cuda"
  int threads = 0;              // 0: all cores
  AttentionConfig attention;
  // Image-to-video: the clip's start image (PNG, or with FFmpeg JPEG, WebP, BMP; a video's first
  // frame), fitted to the clip's size by scaling to cover and cropping the middle.
  std::string imagePath;
  std::string initNoisePath;        // start from this latent (safetensors, key "latent")
  std::string saveLatentsPath;      // write the final latent here (safetensors, key "latent")
  std::string recordAttentionPath;  // write the attention record here (JSON); "" records nothing
  int previewEvery = 1;             // steps between preview frames; 0 turns previews off
  // Decode in overlapping spatial tiles (models with a heavy decoder: Wan's VAE), so the decode's
  // memory follows a tile, not the frame.
  bool tiledDecode = false;
  // GiB of GPU memory the run may use (0: the whole card). Enforced on the allocator, so a large
  // card fails as a card of this size would; the decode switches to tiles when it would not fit.
  double vramGiB = 0;
  // Speed runs on random weights: rewrite the model's attention heads to attend like a trained
  // model's (core/model/structured_attention.h), calibrated for this clip's token grid, so the
  // sparse methods can be timed at their own budget rules. Its clips mean nothing.
  bool structuredAttention = false;
};

// Whether the run needs the negative prompt's pass beside the prompt's (guidance other than 1,
// for either expert of a two-expert model).
inline bool usesGuidance(const GenerationRequest& r) {
  return r.guidance != 1.0 || (r.lowNoiseGuidance >= 0 && r.lowNoiseGuidance != 1.0);
}

// Whether the run makes that second pass: not for a model whose network takes the guidance scale
// as an input (ModelInfo::embeddedGuidance).
inline bool runsGuidancePass(const GenerationRequest& r, const ModelInfo& m) {
  return !m.embeddedGuidance && usesGuidance(r);
}

// The low-noise expert's guidance of a request to a two-expert model, as diffusers'
// guidance_scale_2 follows guidance_scale: its own when set, else the guidance the user chose,
// else the model's own pair.
inline double resolvedLowNoiseGuidance(const GenerationRequest& r, const ModelInfo& m) {
  return r.lowNoiseGuidance >= 0 ? r.lowNoiseGuidance
         : r.guidance >= 0       ? r.guidance
                                 : m.defaultLowNoiseGuidance;
}

struct Progress {
  int step = 0;  // denoising steps done
  int totalSteps = 0;
  double elapsedSeconds = 0;  // since denoising began
  double etaSeconds = -1;     // < 0 while unknown
};

struct StageTiming {
  std::string name;  // "load", "encode", "denoise", "decode"
  double seconds = 0;
  // GPU memory the process held at most during the stage (weights and earlier stages' cached
  // blocks included); −1 off CUDA
  double peakGpuGiB = -1;
};

struct GenerationResult {
  Video video;
  GenerationRequest request;  // with every default filled in: what actually ran
  std::vector<StageTiming> timings;
  double totalSeconds = 0;
  double attentionSeconds = 0;  // self-attention time inside the denoiser
  // Wall time of each sampling step (its DiT passes, CFG included, and the sampler update; not
  // the preview decode), so dense warm-up steps can be told apart from sparse ones.
  std::vector<double> stepSeconds;
  // Fraction of self-attention scores computed: over the whole run (dense warm-up included), and
  // over the calls that ran sparse. 1 for dense.
  double attentionDensity = 1.0;
  double sparseAttentionDensity = 1.0;
  std::string modelLabel;
  std::string device;
  // Side outputs the request asked for (attention record, latents) that could not be written,
  // one line each; the clip itself is still good.
  std::vector<std::string> outputProblems;
  // What the run chose on its own and the user should know (decoding in tiles to fit --vram).
  std::vector<std::string> notes;
};

// Observer of a run. Called on the thread that runs generate(); the studio forwards to its UI
// thread with queued signals.
class GenerationObserver {
 public:
  virtual ~GenerationObserver() = default;
  virtual void onStage(const std::string& stage) {}
  virtual void onProgress(const Progress& progress) {}
  virtual void onPreview(int step, const Video& preview) {}
  // Before each transformer layer of a denoising pass, `layer` of `layers` (from 0): a long step
  // shows where it is.
  virtual void onLayer(int layer, int layers) {}
  // As each phase of a self-attention call starts ("k-means from scratch", "sparse attention"):
  // with onLayer, "k-means from scratch, layer 3/8" explains a slow step.
  virtual void onPhase(const char* phase) {}
  // Polled between transformer layers: returning true stops the run within one layer.
  virtual bool isCancelled() { return false; }
};

}  // namespace svgen
