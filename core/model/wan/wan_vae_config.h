// Wan 2.1 VAE dimensions: from diffusers' vae/config.json, or worked out from the decoder's tensor
// shapes for single files (ComfyUI's wan_2.1_vae.safetensors, the original repository's file).
#pragma once
#include "core/io/tensor_map.h"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace svgen {

struct WanVaeConfig {
  int baseDim = 96;
  int zDim = 16;
  std::vector<int> dimMult = {1, 2, 4, 4};
  int numResBlocks = 2;
  std::vector<bool> temporalDownsample = {false, true, true};  // encoder order, as configs say
  std::vector<double> latentsMean, latentsStd;                 // z = latent · std + mean
};

// Wan 2.1's released VAE (z 16): the per-channel latent mean and std of Wan2.1's
// wan/modules/vae.py.
WanVaeConfig wanVae21Config();

// Throws InputError for a missing or mistyped field, or statistics that do not fit z_dim.
WanVaeConfig wanVaeConfigFromJson(const nlohmann::json& j);

// From decoder tensors named as diffusers names them (see wanVaeKeysToDiffusers). The latent
// statistics are Wan 2.1's when z is 16; other sizes have none in any shape and get mean 0, std 1.
WanVaeConfig inferWanVaeConfigFromShapes(const std::map<std::string, std::vector<int64_t>>& shapes);

// The original repository's names (conv1/conv2, and in the encoder and decoder conv1, middle.N,
// head, downsamples.N / upsamples.N) become diffusers'; diffusers names pass through. Any prefix
// before the VAE's own top-level names is removed.
TensorMap wanVaeKeysToDiffusers(const TensorMap& weights);

}  // namespace svgen
