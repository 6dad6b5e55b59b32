// Wan VAE dimensions (2.1's and 2.2's): from diffusers' vae/config.json, or worked out from the
// decoder's tensor shapes for single files (ComfyUI's wan_2.1_vae / wan2.2_vae.safetensors, the
// original repositories' files).
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
  int decoderBaseDim = 0;  // 0: baseDim (Wan 2.2's decoder is wider than its encoder: 256, 160)
  int zDim = 16;
  std::vector<int> dimMult = {1, 2, 4, 4};
  int numResBlocks = 2;
  std::vector<bool> temporalDownsample = {false, true, true};  // encoder order, as configs say
  std::vector<double> latentsMean, latentsStd;                 // z = latent · std + mean
  // Wan 2.2's VAE: each stage's input joins its output through a shortcut without weights (an
  // average of the pixels it downsamples, a copy into those it upsamples), and pixels go in and
  // out as patch × patch squares (3 · patch² channels), so it codes 16x in space with the same
  // three stages.
  bool residual = false;
  int patchSize = 1;

  int decoderDim() const { return decoderBaseDim > 0 ? decoderBaseDim : baseDim; }
  int pixelChannels() const { return 3 * patchSize * patchSize; }
  int spatialScale() const { return (1 << (dimMult.size() - 1)) * patchSize; }
  // The decoder's upsample of stage `i`, as diffusers names it in each VAE.
  std::string upsampler(int i) const {
    return "decoder.up_blocks." + std::to_string(i) + (residual ? ".upsampler" : ".upsamplers.0");
  }
};

// Wan 2.1's released VAE (z 16): the per-channel latent mean and std of Wan2.1's
// wan/modules/vae.py.
WanVaeConfig wanVae21Config();
// Wan 2.2's released VAE (Wan2.2_VAE.pth, TI2V-5B's): base 160, decoder 256, z 48, residual
// stages, 2×2 patches, and its latent statistics.
WanVaeConfig wanVae22Config();

// Throws InputError for a missing or mistyped field, or statistics that do not fit z_dim.
WanVaeConfig wanVaeConfigFromJson(const nlohmann::json& j);

// From decoder tensors named as diffusers names them (see wanVaeKeysToDiffusers). The latent
// statistics are Wan 2.1's when z is 16, Wan 2.2's when 48; other sizes have none in any shape
// and get mean 0, std 1.
WanVaeConfig inferWanVaeConfigFromShapes(const std::map<std::string, std::vector<int64_t>>& shapes);

// The original repositories' names (conv1/conv2, and in the encoder and decoder conv1, middle.N,
// head, downsamples.N / upsamples.N; Wan 2.2's stages nested as downsamples.N.downsamples.M)
// become diffusers'; diffusers names pass through. Any prefix before the VAE's own top-level names
// is removed.
TensorMap wanVaeKeysToDiffusers(const TensorMap& weights);

}  // namespace svgen
