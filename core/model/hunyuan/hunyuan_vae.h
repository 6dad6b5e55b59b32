// HunyuanVideo's 3D causal VAE decoder (diffusers' AutoencoderKLHunyuanVideo; the original
// repository and ComfyUI's hunyuan_video_vae_bf16.safetensors use the same names): 16 latent
// channels, 8x in space, 4x in time with the first frame alone. Decodes as diffusers does by
// default: a latent of more than 4 frames in windows of 5 latent frames every 3, each window's 17
// frames blended over 4 with the last's (the windows' group norms and mid-block attention see
// only their own frames, so the window is part of the result, not just a memory saving).
#pragma once
#include "core/io/tensor_map.h"

#include <ATen/core/Tensor.h>
#include <nlohmann/json.hpp>

#include <functional>
#include <vector>

namespace svgen {

struct HunyuanVaeConfig {
  int latentChannels = 16;
  std::vector<int> blockOut = {128, 256, 512, 512};
  int layersPerBlock = 2;  // an up block has one more resnet
  int groups = 32;
  double scalingFactor = 0.476986;  // the DiT's latent is the VAE's times this
  int spatialRatio = 8, temporalRatio = 4;
  bool midAttention = true;
};

// diffusers' config.json; InputError for a field of the wrong type or ratios the decoder cannot
// build (the time ratio must be 4, the space ratio a power of two no larger than 2^blocks).
HunyuanVaeConfig hunyuanVaeConfigFromJson(const nlohmann::json& j);

class HunyuanVaeDecoder {
 public:
  // `weights`: the VAE's tensors ("decoder.*", "post_quant_conv.*"; any prefix before "decoder."
  // is dropped). Errors name a missing or misshaped weight.
  HunyuanVaeDecoder(HunyuanVaeConfig config, const TensorMap& weights, const at::Device& device,
                    at::ScalarType dtype);
  const HunyuanVaeConfig& config() const { return config_; }

  // z: (B, latentChannels, F, h, w) in the VAE's own scale (the DiT's latent divided by
  // scalingFactor). Returns (B, 3, 4·(F − 1) + 1, 8h, 8w) float32, about [-1, 1]. `between` is
  // called between windows (throwing from it stops the decode).
  at::Tensor decode(const at::Tensor& z, const std::function<void()>& between = {}) const;
  // One window, whatever its length (decode's pieces).
  at::Tensor decodeWindow(const at::Tensor& z) const;
  // From now on, windows wider or taller than `tilePixels` decode in spatial tiles of that size
  // every `stridePixels`, cross-faded over their overlap (diffusers' enable_tiling: 256 every
  // 192), so the decoder's memory follows the tile, not the frame. Off by default, as in diffusers.
  void setSpatialTiling(bool on, int tilePixels = 256, int stridePixels = 192);

 private:
  at::Tensor p(const std::string& name) const;
  bool has(const std::string& name) const { return params_.count(name) > 0; }
  at::Tensor causalConv(const at::Tensor& x, const std::string& name) const;
  at::Tensor norm(const at::Tensor& x, const std::string& name) const;
  at::Tensor resnet(const at::Tensor& x, const std::string& name) const;
  at::Tensor attention(const at::Tensor& x, const std::string& name) const;
  // A window, in spatial tiles when tiling is on and it is larger than a tile.
  at::Tensor decodeTiled(const at::Tensor& z) const;
  HunyuanVaeConfig config_;
  at::Device device_;
  at::ScalarType dtype_;
  TensorMap params_;
  // Per up block: its resnets, and its upsampler's time and space factors (1 or 2; 0,0: none).
  struct UpBlock {
    int resnets = 0;
    int time = 1, space = 1;
    bool upsample = false;
  };
  std::vector<UpBlock> up_;
  bool tiling_ = false;
  int tilePixels_ = 256, stridePixels_ = 192;
};

}  // namespace svgen
