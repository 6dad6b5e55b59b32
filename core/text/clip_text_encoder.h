// CLIP's text model (transformers' CLIPTextModel; HunyuanVideo's text_encoder_2 is CLIP-L's):
// token and position embeddings, causal CLIP layers, a final layer norm, and the pooled state: the
// final norm's output at the first end-of-text token. Weights in transformers' names, with or
// without "text_model." and anything before it (ComfyUI's clip_l.safetensors).
#pragma once
#include "core/io/tensor_map.h"
#include "core/text/clip_layers.h"

#include <ATen/core/Tensor.h>
#include <c10/core/Device.h>
#include <nlohmann/json.hpp>

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace svgen {

struct ClipTextConfig {
  ClipLayerShape layer;  // CLIP-L's: 768 wide, 12 heads, 3072, QuickGELU
  int numLayers = 12;
  int vocabSize = 49408;
  int maxPositions = 77;
};

// A CLIPTextConfig, or a CLIPConfig holding one under "text_config". Throws InputError for a
// missing or mistyped field.
ClipTextConfig clipTextConfigFromJson(const nlohmann::json& j);
// From shapes (keys as clipTextKeys leaves them). Heads of 64 channels and QuickGELU (OpenAI's
// CLIPs) are assumed: no shape holds them.
ClipTextConfig inferClipTextConfigFromShapes(
    const std::map<std::string, std::vector<int64_t>>& shapes);
// The text model's tensors relative to "text_model." (transformers 5 writes them without it).
TensorMap clipTextKeys(const TensorMap& weights);

struct ClipTextStates {
  at::Tensor last;    // (1, L, hidden) after the final norm, float32
  at::Tensor pooled;  // (1, hidden) the row of the first end token
};

class ClipTextEncoder {
 public:
  // Throws InputError naming a missing tensor or a shape that does not fit `config`.
  ClipTextEncoder(ClipTextConfig config, const TensorMap& weights, const at::Device& device,
                  at::ScalarType dtype);
  // ids (1, L) int64 with L ≤ maxPositions; `endId`: the end-of-text token, whose first place is
  // pooled (the last row when it is absent).
  ClipTextStates encode(const at::Tensor& ids, int64_t endId) const;
  const ClipTextConfig& config() const { return config_; }

 private:
  ClipTextConfig config_;
  at::Device device_;
  at::ScalarType dtype_;
  TensorMap params_;
};

}  // namespace svgen
