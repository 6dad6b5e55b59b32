// The HunyuanVideo text-to-video transformer (as the HunyuanVideo repository's
// hyvideo/modules/models.py and diffusers' HunyuanVideoTransformer3DModel define it), with ATen ops
// on CPU and CUDA, float32 or bfloat16: the text states refined by their own small transformer,
// dual-stream blocks (video and text with their own weights, attending jointly), then
// single-stream blocks over the joined sequence; the guidance scale is an input (embedded CFG).
#pragma once
#include "core/attention/attention_backend.h"
#include "core/io/tensor_map.h"
#include "core/model/hunyuan/hunyuan_config.h"

#include <ATen/core/Tensor.h>

#include <functional>

namespace svgen {

struct HunyuanForwardOptions {
  // Self-attention over the video tokens; null: dense. The text tokens stay dense.
  AttentionBackend* attention = nullptr;
  int step = 0;
  int numSteps = 1;
  // Called before each block (dual-stream first, then single-stream); throwing from it
  // (Cancelled) stops the pass there.
  std::function<void(int layer)> beforeLayer;
};

class HunyuanDiT {
 public:
  // `weights` in the original layout (hunyuan_keys.h converts); every parameter of the config
  // must be there with its shape, errors name the key and both shapes. All are held in
  // `computeDtype` on `device`; the residual stream is float32.
  HunyuanDiT(HunyuanConfig config, const TensorMap& weights, const at::Device& device,
             at::ScalarType computeDtype);

  const HunyuanConfig& config() const { return config_; }
  at::Device device() const { return device_; }
  int layers() const { return config_.dualLayers + config_.singleLayers; }

  // x: (B, inChannels, F, H, W), F a multiple of patchT and H, W of patch; timesteps: (B) in
  // model time (1000·σ); text: (B, Lt, textDim), the prompt's tokens only (padding dropped: the
  // reference masks padded keys out, which is the same); pooled: (B, pooledDim), CLIP's pooled
  // text; guidance: (B), 1000 × the guidance scale, for guidance-distilled models (else
  // undefined). Returns the velocity (B, outChannels, F, H, W) in float32.
  at::Tensor forward(const at::Tensor& x, const at::Tensor& timesteps, const at::Tensor& text,
                     const at::Tensor& pooled, const at::Tensor& guidance,
                     const HunyuanForwardOptions& options = {}) const;

  const TensorMap& parameters() const { return params_; }

 private:
  at::Tensor p(const std::string& name) const;
  // The text states through the token refiner: (B, Lt, dim) in the compute dtype.
  at::Tensor refineText(const at::Tensor& text, const at::Tensor& timesteps) const;
  HunyuanConfig config_;
  at::Device device_;
  at::ScalarType dtype_;
  TensorMap params_;
};

// Random weights for `config`, made on `device` in `dtype` (13B do not pass through host memory):
// matrices at 1/√fan-in, biases 0, norm scales 1. For speed runs and device checks only: the
// attention they give is near uniform.
TensorMap randomHunyuanWeights(const HunyuanConfig& config, uint64_t seed, const at::Device& device,
                               at::ScalarType dtype);

}  // namespace svgen
