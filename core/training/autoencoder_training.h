// The first stage of a latent built-in model's training: the autoencoder (clip_autoencoder.h)
// learns to reconstruct rendered clips, then its latent statistics are measured so the DiT sees
// latents of mean 0 and std 1. Its weights are frozen afterwards.
#pragma once
#include "core/io/tensor_map.h"
#include "core/model/builtin/clip_autoencoder.h"

#include <ATen/core/Tensor.h>

#include <cstdint>
#include <functional>
#include <string>

namespace svgen {

struct AutoencoderTraining {
  int64_t steps = 3000;
  double minutes = 0;  // stop earlier after this much wall time (0: no limit)
  double lr = 1e-3;
  int warmupSteps = 100;
  // Noise added to the latents the decoder trains on, as a share of their std: the DiT's
  // predictions are never exact, and the decoder must still draw clean shapes from them.
  double latentNoise = 0.1;
  uint64_t seed = 1;
  int logEvery = 200;
  std::function<bool()> isCancelled;  // checked before each step; may be empty
};

struct AutoencoderResult {
  TensorMap weights;  // with the measured latent statistics
  int64_t steps = 0;
  double firstLoss = 0, finalLoss = 0;  // mean squared reconstruction error, in [-1, 1] units
};

// Stops early when cancelled (the weights so far, with their statistics, are returned).
// `clips(step)` gives a batch of clips (B, 3, T, H, W) in [-1, 1] on the training device; `log`
// receives one line per report.
AutoencoderResult trainAutoencoder(const AutoencoderConfig& config,
                                   const AutoencoderTraining& options,
                                   const std::function<at::Tensor(int64_t step)>& clips,
                                   const std::function<void(const std::string&)>& log);

}  // namespace svgen
