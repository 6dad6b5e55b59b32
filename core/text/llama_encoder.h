// A Llama decoder used as a text encoder, as HunyuanVideo uses LLaVA-Llama-3-8B: token embeddings,
// causal layers of RMS norm, grouped-query attention with RoPE and a SiLU-gated MLP, and the
// hidden states of a chosen layer instead of next-token logits. Weights in transformers' names,
// with whatever a file puts in front of "layers." (LlamaModel, LlamaForCausalLM's "model.", LLaVA's
// "language_model.model."); the LM head and a vision tower are ignored.
#pragma once
#include "core/io/tensor_map.h"

#include <ATen/core/Tensor.h>
#include <c10/core/Device.h>
#include <nlohmann/json.hpp>

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace svgen {

struct LlamaConfig {
  int vocabSize = 128320;
  int hiddenSize = 4096;
  int intermediateSize = 14336;
  int numLayers = 32;
  int numHeads = 32;
  int numKvHeads = 8;
  int headDim = 128;
  double eps = 1e-5;
  double ropeTheta = 500000.0;
};

// A LlamaConfig, or a LLaVA config holding one under "text_config". Throws InputError for a missing
// or mistyped field, and for RoPE scaling (Llama 3.1's), which this encoder does not apply.
LlamaConfig llamaConfigFromJson(const nlohmann::json& j);
// From shapes (keys as llamaKeys leaves them). No shape holds the head count or RoPE's θ: heads of
// 128 channels (or the widest power of two that fits) and Llama 3's θ 500000 are assumed.
LlamaConfig inferLlamaConfigFromShapes(const std::map<std::string, std::vector<int64_t>>& shapes);
// The language model's tensors relative to its root (embed_tokens., layers.N., norm.).
TensorMap llamaKeys(const TensorMap& weights);

class LlamaTextEncoder {
 public:
  // `hiddenState`: which of transformers' hidden_states to return: 0 the embeddings, k < layers
  // the output of layer k, `layers` the final norm's; negative counts from the end as Python does
  // (HunyuanVideo: −3). Only the layers it needs must be in `weights`. `dtype`: the matmuls'
  // type; `storage`: the type matrices are held in (default: dtype), widened one at a time when
  // used (bfloat16 keeps an 8B encoder at 16 GB on the CPU). Throws InputError naming a missing
  // tensor or a shape that does not fit.
  LlamaTextEncoder(LlamaConfig config, const TensorMap& weights, const at::Device& device,
                   at::ScalarType dtype, int hiddenState,
                   at::ScalarType storage = at::ScalarType::Undefined);

  // ids (1, L) int64 → (1, L, hidden) float32. Causal, so a token's state does not depend on
  // what follows it (padding changes nothing before it).
  at::Tensor encode(const at::Tensor& ids) const;
  const LlamaConfig& config() const { return config_; }
  int layersRun() const { return layersRun_; }

 private:
  at::Tensor matrix(const std::string& name) const { return params_.at(name).to(dtype_); }
  LlamaConfig config_;
  at::Device device_;
  at::ScalarType dtype_;
  int layersRun_ = 0;
  bool finalNorm_ = false;
  TensorMap params_;
};

}  // namespace svgen
