// The Wan VAE's layers that its encoder and decoder share: causal 3-D convolutions that carry the
// last frames of the previous chunk (so a clip is coded chunk by chunk with memory for one
// chunk), residual blocks, single-head attention over each frame, Wan's channel RMS norm. Tensors
// are named as diffusers names them (wanVaeKeysToDiffusers maps the other layouts).
#pragma once
#include "core/io/tensor_map.h"
#include "core/model/wan/wan_vae_config.h"

#include <ATen/core/Tensor.h>
#include <c10/core/Device.h>

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

namespace svgen::wanvae {

// Each causal convolution's frames from the chunk before, by tensor name.
using Cache = std::map<std::string, at::Tensor>;

// A tensor the network reads and the shape its config gives it.
struct Expected {
  std::string name;
  std::vector<int64_t> shape;
};
void addConv3d(std::vector<Expected>& e, const std::string& name, int64_t out, int64_t in, int kt,
               int k);
void addResidual(std::vector<Expected>& e, const std::string& name, int64_t in, int64_t out);
void addAttention(std::vector<Expected>& e, const std::string& name, int64_t dim);

// InputError when the config's lists do not fit each other (stages, latent statistics).
void checkConfig(const WanVaeConfig& config);
// The latent statistics as (1, z, 1, 1, 1) float32 tensors on `device`: z = latent · std + mean.
struct LatentStatistics {
  at::Tensor mean, std;
};
LatentStatistics latentStatistics(const WanVaeConfig& config, const at::Device& device);

// The expected tensors of `named` on `device`: norms' gammas in float32, the rest in `dtype`.
// Throws InputError naming the first missing tensor or one of the wrong shape ("vae: ...").
TensorMap takeExpected(const TensorMap& named, const std::vector<Expected>& expected,
                       const at::Device& device, at::ScalarType dtype);

// F.normalize over channels (dim 1) · √C · γ, computed in float32.
at::Tensor channelRmsNorm(const at::Tensor& x, const at::Tensor& gamma);
// Each frame of (B, C, T, H, W) through a 2-D op.
at::Tensor perFrame(const at::Tensor& x, const std::function<at::Tensor(const at::Tensor&)>& f);

// The convolution `name` (weight (out, in, kt, k, k)), zero-padded in space, causal in time: the
// kt − 1 frames it saw last (from `cache`; zeros before the first) stand in for its left padding.
at::Tensor causalConv(const TensorMap& p, const at::Tensor& x, const std::string& name,
                      Cache& cache);
// RMS norm, SiLU, conv, RMS norm, SiLU, conv, plus the input (through a 1×1×1 conv when the
// channel count changes).
at::Tensor residual(const TensorMap& p, const at::Tensor& x, const std::string& name, Cache& cache);
// One head over each frame's positions, plus the input.
at::Tensor attention(const TensorMap& p, const at::Tensor& x, const std::string& name);

// Wan 2.2's weightless stage shortcuts. Down: each output channel the mean of a group of input
// channels × the factorT × factorS² pixels it replaces (time padded in front to a whole factor).
// Up: the reverse, each input channel copied into the pixels and channels it expands to; on the
// clip's first chunk the factorT − 1 leading frames go, as the causal upsample makes one frame.
at::Tensor averageDown(const at::Tensor& x, int64_t outChannels, int64_t factorT, int64_t factorS);
at::Tensor duplicateUp(const at::Tensor& x, int64_t outChannels, int64_t factorT, int64_t factorS,
                       bool firstChunk);

// Pixels (B, 3, T, H, W) ↔ patches (B, 3 · p², T, H / p, W / p), channel c · p² + dx · p + dy
// (the column offset before the row offset, as diffusers' patchify orders them).
at::Tensor patchify(const at::Tensor& x, int64_t patch);
at::Tensor unpatchify(const at::Tensor& x, int64_t patch);

}  // namespace svgen::wanvae
