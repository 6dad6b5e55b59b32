#include "core/text/clip_text_encoder.h"

#include "core/common/error.h"
#include "core/common/json_fields.h"
#include "core/common/tensor_shape_text.h"

#include <ATen/ATen.h>

namespace svgen {

namespace {

void checkConfig(const ClipTextConfig& c, const std::string& what) {
  const ClipLayerShape& s = c.layer;
  if (s.hiddenSize < 1 || s.numHeads < 1 || s.hiddenSize % s.numHeads != 0 || c.numLayers < 1 ||
      s.intermediateSize < 1 || c.vocabSize < 2 || c.maxPositions < 2)
    throw InputError(what + ": impossible dimensions (hidden " + std::to_string(s.hiddenSize) +
                     ", heads " + std::to_string(s.numHeads) + ", layers " +
                     std::to_string(c.numLayers) + ")");
  if (s.activation != "gelu" && s.activation != "quick_gelu")
    throw InputError(what + ": hidden_act \"" + s.activation + "\" (gelu or quick_gelu)");
}

}  // namespace

ClipTextConfig clipTextConfigFromJson(const nlohmann::json& jIn) {
  const nlohmann::json& j = jIn.contains("text_config") ? jIn["text_config"] : jIn;
  const std::string what = "CLIP text encoder config.json";
  ClipTextConfig c;
  c.layer.hiddenSize = jsonRequired<int>(j, "hidden_size", what);
  c.layer.intermediateSize = jsonRequired<int>(j, "intermediate_size", what);
  c.layer.numHeads = jsonRequired<int>(j, "num_attention_heads", what);
  c.numLayers = jsonRequired<int>(j, "num_hidden_layers", what);
  c.vocabSize = jsonRequired<int>(j, "vocab_size", what);
  readJsonField(j, "max_position_embeddings", c.maxPositions, what);
  readJsonField(j, "layer_norm_eps", c.layer.eps, what);
  readJsonField(j, "hidden_act", c.layer.activation, what);
  checkConfig(c, what);
  return c;
}

ClipTextConfig inferClipTextConfigFromShapes(
    const std::map<std::string, std::vector<int64_t>>& shapes) {
  auto shape = [&](const std::string& key) -> const std::vector<int64_t>* {
    auto it = shapes.find(key);
    return it == shapes.end() || it->second.size() != 2 ? nullptr : &it->second;
  };
  const auto* tokens = shape("embeddings.token_embedding.weight");
  const auto* positions = shape("embeddings.position_embedding.weight");
  const auto* fc1 = shape("encoder.layers.0.mlp.fc1.weight");
  if (!tokens || !positions || !fc1)
    throw InputError(
        "the CLIP text encoder's tensors are not a CLIP text model's (expected "
        "text_model.embeddings.token_embedding, position_embedding and encoder.layers.0.mlp.fc1)");
  ClipTextConfig c;
  c.vocabSize = static_cast<int>((*tokens)[0]);
  c.layer.hiddenSize = static_cast<int>((*tokens)[1]);
  c.maxPositions = static_cast<int>((*positions)[0]);
  c.layer.intermediateSize = static_cast<int>((*fc1)[0]);
  c.layer.numHeads = std::max(1, c.layer.hiddenSize / 64);
  c.numLayers = clipLayerCount(shapes);
  checkConfig(c, "CLIP text encoder");
  return c;
}

TensorMap clipTextKeys(const TensorMap& weights) {
  return clipPartKeys(weights, "text_model.",
                      {"embeddings.", "encoder.layers.", "final_layer_norm."});
}

ClipTextEncoder::ClipTextEncoder(ClipTextConfig config, const TensorMap& weights,
                                 const at::Device& device, at::ScalarType dtype)
    : config_(std::move(config)), device_(device), dtype_(dtype) {
  checkConfig(config_, "CLIP text encoder");
  const int64_t d = config_.layer.hiddenSize;
  std::vector<std::pair<std::string, std::vector<int64_t>>> expected = {
      {"embeddings.token_embedding.weight", {config_.vocabSize, d}},
      {"embeddings.position_embedding.weight", {config_.maxPositions, d}},
      {"final_layer_norm.weight", {d}},
      {"final_layer_norm.bias", {d}}};
  for (int i = 0; i < config_.numLayers; ++i)
    for (auto& s : clipLayerShapes(config_.layer, i)) expected.push_back(std::move(s));
  const TensorMap named = clipTextKeys(weights);
  for (const auto& [name, shape] : expected) {
    auto it = named.find(name);
    if (it == named.end())
      throw InputError("CLIP text encoder: missing the tensor \"text_model." + name + "\"");
    if (it->second.sizes().vec() != shape)
      throw InputError("CLIP text encoder: tensor \"text_model." + name + "\" has shape " +
                       shapeText(it->second.sizes().vec()) + ", expected " + shapeText(shape));
    const bool keepFloat = shape.size() == 1 || name.rfind("embeddings.", 0) == 0;
    params_[name] = it->second.to(device_, keepFloat ? at::kFloat : dtype_).contiguous();
  }
}

ClipTextStates ClipTextEncoder::encode(const at::Tensor& idsIn, int64_t endId) const {
  const ClipTextConfig& c = config_;
  if (idsIn.dim() != 2 || idsIn.size(0) != 1 || idsIn.size(1) < 1 || idsIn.size(1) > c.maxPositions)
    throw InputError("CLIP text encoder: ids must be (1, L) with 1 ≤ L ≤ " +
                     std::to_string(c.maxPositions) + ", got " + shapeText(idsIn.sizes().vec()));
  const at::Tensor ids = idsIn.to(device_, at::kLong);
  if (ids.min().item<int64_t>() < 0 || ids.max().item<int64_t>() >= c.vocabSize)
    throw InputError("CLIP text encoder: a token id lies outside its vocabulary of " +
                     std::to_string(c.vocabSize));
  const int64_t L = ids.size(1), d = c.layer.hiddenSize;
  at::Tensor x = at::embedding(params_.at("embeddings.token_embedding.weight"), ids) +
                 params_.at("embeddings.position_embedding.weight").narrow(0, 0, L).unsqueeze(0);
  x = clipLayers(x, params_, c.layer, c.numLayers, dtype_, /*causal=*/true);
  x = at::layer_norm(x, {d}, params_.at("final_layer_norm.weight"),
                     params_.at("final_layer_norm.bias"), c.layer.eps);
  const at::Tensor ends = (ids[0] == endId).nonzero();
  const int64_t at = ends.size(0) > 0 ? ends[0][0].item<int64_t>() : L - 1;
  return {x, x.select(1, at)};
}

}  // namespace svgen
