// The Wan VAE's encoder (diffusers' AutoencoderKLWan.encode, the latent's mean; 2.1 and 2.2), which
// image-to-video needs for its first-frame condition. Like the decoder it codes the clip chunk by
// chunk with a causal cache: the first frame alone, then four frames at a time, so 1 + 4k frames
// become 1 + k latent frames at an eighth of the size.
#pragma once
#include "core/io/tensor_map.h"
#include "core/model/wan/wan_vae_config.h"

#include <ATen/core/Tensor.h>
#include <c10/core/Device.h>

#include <functional>
#include <map>
#include <string>

namespace svgen {

class WanVaeEncoder {
 public:
  // `weights` in diffusers' or the original repository's names (decoder tensors are ignored).
  // `dtype` as for WanVaeDecoder. Throws InputError naming a missing tensor or one whose shape
  // does not fit `config`.
  WanVaeEncoder(WanVaeConfig config, const TensorMap& weights, const at::Device& device,
                at::ScalarType dtype);

  // Called after each chunk; throwing from it (Cancelled) stops encoding.
  using ChunkCallback = std::function<void(int done, int total)>;

  // Frames (B, 3, 1 + 4k, H, W) in [−1, 1], H and W multiples of 8 → the normalised latent mean
  // (B, z, 1 + k, H / 8, W / 8), (mean − latents_mean) / latents_std, float32 on the device.
  at::Tensor encode(const at::Tensor& frames, const ChunkCallback& onChunk = {}) const;
  const WanVaeConfig& config() const { return config_; }

 private:
  using Cache = std::map<std::string, at::Tensor>;
  at::Tensor downsample(const at::Tensor& x, const std::string& name, bool temporal,
                        Cache& cache) const;
  at::Tensor encodeChunk(const at::Tensor& x, Cache& cache) const;

  WanVaeConfig config_;
  at::Device device_;
  at::ScalarType dtype_;
  TensorMap params_;
};

}  // namespace svgen
