// The CLIP ViT image encoder that Wan 2.1 image-to-video reads its start image with (open-clip
// ViT-H/14: 257 tokens of width 1280), in transformers' CLIPVisionModel names: diffusers'
// image_encoder/ folder and ComfyUI's clip_vision_h.safetensors. Wan uses the hidden states after
// the second-to-last layer, not the pooled embedding.
#pragma once
#include "core/io/tensor_map.h"

#include <ATen/core/Tensor.h>
#include <c10/core/Device.h>
#include <nlohmann/json.hpp>

#include <array>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace svgen {

struct ClipVisionConfig {
  int hiddenSize = 1280;
  int intermediateSize = 5120;
  int numHeads = 16;
  int numLayers = 32;
  int patchSize = 14;
  int imageSize = 224;
  double eps = 1e-5;
  std::string activation = "gelu";  // or "quick_gelu" (OpenAI's CLIPs)
  // The pixel statistics images are normalised with (preprocessor_config.json; these are CLIP's).
  std::array<double, 3> mean = {0.48145466, 0.4578275, 0.40821073};
  std::array<double, 3> std = {0.26862954, 0.26130258, 0.27577711};

  int tokens() const { return (imageSize / patchSize) * (imageSize / patchSize) + 1; }
};

// A CLIPVisionConfig, or a CLIPConfig holding one under "vision_config". Throws InputError for a
// missing or mistyped field.
ClipVisionConfig clipVisionConfigFromJson(const nlohmann::json& j);
// From tensor shapes (keys relative to "vision_model."). No shape holds the head count: heads of
// 80 channels are assumed (ViT-H/14's 16), else of 64.
ClipVisionConfig inferClipVisionConfigFromShapes(
    const std::map<std::string, std::vector<int64_t>>& shapes);
// The keys relative to "vision_model." (anything before it removed; transformers 5 writes them
// without it); others (a projection, a text model) are dropped.
TensorMap clipVisionKeys(const TensorMap& weights);

class ClipVisionEncoder {
 public:
  // Throws InputError naming a missing tensor or one whose shape does not fit `config`.
  // `dtype`: the matrices' type; layer norms and softmax run in float32.
  ClipVisionEncoder(ClipVisionConfig config, const TensorMap& weights, const at::Device& device,
                    at::ScalarType dtype);

  // Images (B, 3, H, W) in [−1, 1] → the encoder's input as Wan's own code makes it: a bicubic
  // resize to imageSize², then CLIP's normalisation.
  at::Tensor preprocess(const at::Tensor& images) const;
  // Preprocessed pixels (B, 3, imageSize, imageSize) → hidden states after the second-to-last
  // layer, (B, tokens, hiddenSize), float32.
  at::Tensor encode(const at::Tensor& pixels) const;
  const ClipVisionConfig& config() const { return config_; }

 private:
  ClipVisionConfig config_;
  at::Device device_;
  at::ScalarType dtype_;
  TensorMap params_;
};

}  // namespace svgen
