// The Wan VAE's decoder (diffusers' AutoencoderKLWan.decode; Wan 2.1's and Wan 2.2's) in ATen ops.
// It decodes one latent frame at a time with a causal cache (each causal convolution keeps the
// last two frames it was given), so memory follows one chunk, not the clip: 81 frames at 720p
// fit. T latent frames become 1 + 4(T − 1) frames at 8x the size (16x for Wan 2.2's).
#pragma once
#include "core/io/tensor_map.h"
#include "core/model/wan/wan_vae_config.h"

#include <ATen/core/Tensor.h>
#include <c10/core/Device.h>

#include <functional>
#include <map>
#include <string>
#include <vector>

namespace svgen {

class WanVaeDecoder {
 public:
  // `weights` in diffusers' or the original repository's names (encoder tensors are ignored).
  // `dtype`: the convolutions' type (float32 on the CPU, bfloat16 on CUDA); norms run in float32.
  // Throws InputError naming a missing tensor or one whose shape does not fit `config`.
  WanVaeDecoder(WanVaeConfig config, const TensorMap& weights, const at::Device& device,
                at::ScalarType dtype);

  // Called after each latent frame is decoded; throwing from it (Cancelled) stops decoding.
  using ChunkCallback = std::function<void(int done, int total)>;

  // Normalised latent (B, z, T, h, w) → frames (B, 3, 1 + 4(T − 1), sh, sw) where s is
  // config().spatialScale(), float32 on the CPU, clamped to [−1, 1] unless `clamp` is false.
  at::Tensor decode(const at::Tensor& latent, const ChunkCallback& onChunk = {},
                    bool clamp = true) const;

  // Spatial tiles of `tile` latent pixels every `stride`, each decoded through every frame with its
  // own causal cache, their overlaps blended with linear ramps (diffusers' tiled_decode, whose
  // defaults are 32 and 24: 256-pixel tiles every 192). Memory follows one tile, not the frame:
  // the 720p decode that needs 22.7 GiB whole fits a few. A latent no larger than one tile is
  // decoded whole. onChunk counts frames over all tiles.
  struct Tiles {
    int tile = 32;
    int stride = 24;
  };
  at::Tensor decodeTiled(const at::Tensor& latent, const Tiles& tiles,
                         const ChunkCallback& onChunk = {}, bool clamp = true) const;
  const WanVaeConfig& config() const { return config_; }

 private:
  using Cache = std::map<std::string, at::Tensor>;
  const at::Tensor& p(const std::string& name) const;
  at::Tensor upsample(const at::Tensor& x, const std::string& name, bool temporal, bool first,
                      Cache& cache) const;
  at::Tensor decodeChunk(const at::Tensor& x, bool first, Cache& cache) const;

  WanVaeConfig config_;
  at::Device device_;
  at::ScalarType dtype_;
  TensorMap params_;
};

}  // namespace svgen
