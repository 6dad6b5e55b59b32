// The Wan 2.1 text-to-video diffusion transformer (as the Wan2.1 repository's wan/modules/model.py
// and diffusers' WanTransformer3DModel define it), written with ATen ops so that it runs on CPU and
// CUDA, in float32 or bfloat16, and trains with autograd.
#pragma once
#include "core/attention/attention_backend.h"
#include "core/io/packed_weights.h"
#include "core/model/block_streamer.h"
#include "core/io/tensor_map.h"
#include "core/model/wan_config.h"

#include <ATen/core/Tensor.h>

#include <cstdint>
#include <functional>
#include <string>
#include <utility>
#include <vector>

namespace svgen {

// Names (original Wan layout) and shapes of every parameter a config needs.
std::vector<std::pair<std::string, std::vector<int64_t>>> wanParameterShapes(
    const WanConfig& config);

// Parameters kept in float32 whatever the compute dtype: time embedding, modulation and norms.
bool wanParameterIsFp32(const std::string& name);

struct DiTForwardOptions {
  AttentionBackend* attention = nullptr;  // null: dense
  int step = 0;
  int numSteps = 1;
  // Called before each transformer layer; throwing from it (Cancelled) stops the forward pass.
  std::function<void(int layer)> beforeLayer;
  // The feed-forward over this many tokens at a time (0: all at once): its hidden rows are the
  // largest activations, 6 bytes of ffnDim per token. Same values either way.
  int64_t ffnChunkTokens = 0;
  // The first this many tokens are clean, at timestep 0 whatever `timesteps` says: TI2V's start
  // image as the clip's first latent frame (diffusers' per-token timesteps, expand_timesteps).
  int64_t cleanPrefixTokens = 0;
};

class WanDiT {
 public:
  // `weights` use the original Wan key names (see wan_keys.h for the other layouts). Every
  // expected key must be present with its shape; errors name the key and both shapes.
  WanDiT(WanConfig config, const TensorMap& weights, const at::Device& device,
         at::ScalarType computeDtype);
  // The same with some weights packed (fp8, GGUF blocks). Matrix weights stay packed on `device`
  // and are unpacked into the compute dtype each time a layer uses them, so the model holds
  // the file's bytes; the float32 parameters and the patch embedding are unpacked once here.
  // A key may be in either map, not both.
  WanDiT(WanConfig config, const TensorMap& weights, const PackedMap& packed,
         const at::Device& device, at::ScalarType computeDtype);

  const WanConfig& config() const { return config_; }
  at::Device device() const { return device_; }
  at::ScalarType computeDtype() const { return dtype_; }

  // x: (B, inChannels, F, H, W) with F, H, W multiples of the patch; timesteps: (B) in model time
  // (1000·σ); context: (B, Lt ≤ textLen, textDim), zero-padded here to textLen.
  // Returns the network output (B, outChannels, F, H, W) in float32.
  at::Tensor forward(const at::Tensor& x, const at::Tensor& timesteps, const at::Tensor& context,
                     const DiTForwardOptions& options = {}) const {
    return forward(x, timesteps, context, at::Tensor(), options);
  }
  // Image-to-video (config().imageDim > 0): `image` holds the image encoder's tokens
  // (1 or B, Li, imageDim), which every layer's cross-attention reads beside the text; x holds the
  // image condition's channels after the latent's. Text-to-video models take no image.
  at::Tensor forward(const at::Tensor& x, const at::Tensor& timesteps, const at::Tensor& context,
                     const at::Tensor& image, const DiTForwardOptions& options) const;

  // The parameters held unpacked on the device (for training: they may require grad).
  const TensorMap& parameters() const { return params_; }
  // The ones held packed, by name.
  const PackedMap& packedParameters() const { return packed_; }
  // With streamed blocks: each block's weights, in host memory (else empty).
  const std::vector<BlockWeights>& hostBlocks() const { return hostBlocks_; }

  // Puts the model on `device`; with `streamBlocks` the transformer blocks' weights go to host
  // memory (pinned for a GPU) and each forward pass streams them in one block ahead
  // (BlockStreamer): the GPU then holds the rest and two blocks. Same outputs either way.
  void place(const at::Device& device, bool streamBlocks);

  // The named weights as float32 CPU tensors, wherever they are held (device, packed, host).
  TensorMap weightsNamed(const std::vector<std::string>& names) const;
  // Replaces weights by name: each is held unpacked from now on, in its place's dtype.
  void replaceWeights(const TensorMap& weights);

 private:
  struct Block;
  at::Tensor p(const std::string& name) const;
  // The image tokens through the image embedding, for `batch` samples; undefined without image.
  at::Tensor embedImage(const at::Tensor& image, int64_t batch) const;
  // A block's weight from its streamed copy when there is one, else as p().
  at::Tensor p(const std::string& name, const BlockWeights* block) const;
  // The streamed block holding `name`, or −1 (blocks resident, or not a block's weight).
  int streamedBlockOf(const std::string& name) const;
  WanConfig config_;
  at::Device device_;
  at::ScalarType dtype_;
  TensorMap params_;
  PackedMap packed_;
  std::vector<BlockWeights> hostBlocks_;
};

// The transformer block a weight belongs to ("blocks.12.ffn.0.weight" → 12), −1 for the rest.
int blockIndexOf(const std::string& name);

// Sinusoidal timestep embedding, cos half first (B, dim), float32.
at::Tensor timestepEmbedding(const at::Tensor& timesteps, int64_t dim);

}  // namespace svgen
