// The built-in model's optional autoencoder: a small convolutional encoder and decoder, trained
// here on rendered clips, that move the DiT from pixels to latents. A pixel-space DiT must draw
// every outline through a linear map from one token to its 2 × 8 × 8 patch of pixels, and its
// clips show soft blobs with seams at patch borders; in latent space each token is a few
// channels that the decoder turns into crisp, seamless shapes (MODEL_CARD.md). The token grid
// stays that of the pixel model: the autoencoder reduces time by 2 and space by 8, and the DiT's
// patch is 1 × 1 × 1. Weights are named "autoencoder.…", next to the DiT's and the encoder's.
#pragma once
#include "core/io/tensor_map.h"

#include <ATen/core/Tensor.h>
#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace svgen {

struct AutoencoderConfig {
  int latentChannels = 0;  // 0: no autoencoder, the DiT works on pixels
  int width = 64;          // channels after the first layer; twice that in the middle
  bool enabled() const { return latentChannels > 0; }
};

constexpr int kAutoencoderTimeFactor = 2;
constexpr int kAutoencoderSpaceFactor = 8;

nlohmann::json toJson(const AutoencoderConfig& config);
AutoencoderConfig autoencoderConfigFromJson(const nlohmann::json& j);

std::vector<std::pair<std::string, std::vector<int64_t>>> autoencoderParameterShapes(
    const AutoencoderConfig& config);
// Fresh weights (Kaiming-uniform convolutions, zero biases, latent mean 0 and std 1).
TensorMap initAutoencoderWeights(const AutoencoderConfig& config, uint64_t seed);

// Runs in float32 on the weights' device. Parameters may require grad (training); the latent
// statistics never do.
class ClipAutoencoder {
 public:
  ClipAutoencoder(AutoencoderConfig config, const TensorMap& weights, const at::Device& device);
  // Clips (B, 3, T, H, W) in [-1, 1], T a multiple of 2 and H, W of 8 → latents
  // (B, C, T/2, H/8, W/8), normalised to mean 0 and std 1 per channel.
  at::Tensor encode(const at::Tensor& clips) const;
  // The inverse: normalised latents → clips, about [-1, 1].
  at::Tensor decode(const at::Tensor& latents) const;
  // The encoder's raw output, before normalisation (what the statistics are measured on).
  at::Tensor encodeRaw(const at::Tensor& clips) const;
  at::Tensor decodeRaw(const at::Tensor& raw) const;
  const TensorMap& parameters() const { return params_; }

 private:
  at::Tensor p(const std::string& name) const { return params_.at(name); }
  void requireLatents(const at::Tensor& latents) const;  // InputError unless (B, C, F, h, w)
  AutoencoderConfig config_;
  TensorMap params_;
};

}  // namespace svgen
