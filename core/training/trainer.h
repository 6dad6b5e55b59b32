// Trains the built-in model (word encoder + Wan DiT in pixel space) on rendered shape videos.
// The same program runs a tiny configuration on a CPU in the tests and the real one on a GPU.
#pragma once
#include "core/training/shape_swap.h"

#include <cstdint>
#include <string>

namespace svgen {

struct TrainOptions {
  std::string outDir;  // checkpoint/ and model/ are written here
  // "builtin" (shipped architecture), "small" (8 frames at 32 x 32: experiments that run on a
  // CPU in minutes) or "tiny" (tests)
  std::string config = "builtin";
  // WanConfig::positionEmbedding. sincos by default: with the same 14 CPU minutes it more than
  // doubled how often the object appeared, and tripled motion (MODEL_CARD.md).
  std::string positionEmbedding = "sincos";
  bool resume = false;  // continue from outDir/checkpoint
  std::string device = "auto";
  int64_t steps = 1000000;  // stop after this many optimizer steps...
  double minutes = 0;       // ...or after this much wall time (0: no limit)
  int batch = 32;
  double lr = 3e-4;
  int warmupSteps = 500;
  double decayStart = 0.75;  // share of the run after which the rate decays to a tenth
                             // (1: no decay, for a run that another one resumes)
  double emaDecay = 0.999;
  std::string noiseLevels = "shift";  // how σ is drawn: "shift" or "logit-normal"
  // The x0 loss is weighted by 1/max(σ, floor)², the velocity's error; the floor keeps the nearly
  // clean samples (easy, and weighted up to 400x at 0.05) from drowning the noisy ones, where
  // layout, shape and motion are decided.
  double lossSigmaFloor = 0.2;
  // Probability that a clip is trained at σ = 1, pure noise, where sampling starts (see
  // noise_levels.h). 0 disables it. Its loss weight is 1, against 4.8 on average for the others,
  // so at 0.25 such clips hold about 6.5% of the total weight.
  double pureNoiseShare = 0.25;
  // Share of each batch trained on the model's own sampler step (rollout.h): the first clips of
  // the batch, at a level of the model's sampling schedule. Each costs a forward pass without
  // gradients (two with guidance). They replace whatever those clips were drawn as, so the
  // pure-noise share of the batch becomes pureNoiseShare · (1 − rolloutShare). 0 disables it.
  double rolloutShare = 0;
  // Latent channels of an autoencoder that a new run trains first (clip_autoencoder.h), for
  // autoencoderSteps or autoencoderMinutes, whichever ends first; the DiT then trains on its
  // latents. 0: the DiT works on pixels. A resumed run or a fine-tune keeps its model's. The
  // autoencoder's stage comes before the DiT's and `minutes` does not count it.
  int latentChannels = 0;
  int64_t autoencoderSteps = 3000;
  double autoencoderMinutes = 0;
  // Share of the prompted clips whose noisy input, at σ ≥ shapeSwapMinSigma, is rendered with each
  // object's shape swapped while the target keeps the true one (shape_swap.h). 0 disables it.
  double shapeSwapShare = 0;
  double shapeSwapMinSigma = kDefaultShapeSwapMinSigma;  // in (0, 1]
  // A trained built-in model folder to start from (its architecture, vocabulary and weights),
  // with a fresh optimizer; "" starts from random weights.
  std::string initFrom;
  double textDropout = 0.1;  // share of prompts replaced by "" (for guidance)
  uint64_t seed = 1;
  int logEvery = 50;
  int checkpointEvery = 1000;
  bool bf16 = true;  // bfloat16 matmuls on CUDA (CPU always float32)
};

struct TrainProgress {
  int64_t step = 0;
  double loss = 0;  // mean over the steps since the last report
  double lr = 0;
  double seconds = 0;  // wall time of this run
  double clipsPerSecond = 0;
};

class TrainObserver {
 public:
  virtual ~TrainObserver() = default;
  virtual void onLog(const TrainProgress& progress) {}
  // A one-off line worth logging (where a step's time goes).
  virtual void onNote(const std::string& line) {}
  virtual bool isCancelled() { return false; }
};

struct TrainResult {
  int64_t steps = 0;
  double firstLoss = 0;  // mean of the first report
  double finalLoss = 0;  // mean of the last report
  double seconds = 0;
  std::string modelDir;  // a model folder "svgen generate --model" reads
};

// Trains, checkpointing every checkpointEvery steps and at the end (also when cancelled).
TrainResult trainBuiltinModel(const TrainOptions& options, TrainObserver& observer);

}  // namespace svgen
