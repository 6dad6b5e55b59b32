#include "core/text/umt5_config.h"

#include "core/common/error.h"
#include "core/common/json_fields.h"

#include <regex>

namespace svgen {

Umt5Config umt5ConfigFromJson(const nlohmann::json& j) {
  Umt5Config c;
  const std::string what = "text encoder config.json";
  try {
    c.vocabSize = jsonRequired<int>(j, "vocab_size", what);
    c.dModel = jsonRequired<int>(j, "d_model", what);
    c.dKv = jsonRequired<int>(j, "d_kv", what);
    c.dFf = jsonRequired<int>(j, "d_ff", what);
    c.numLayers = jsonRequired<int>(j, "num_layers", what);
    c.numHeads = jsonRequired<int>(j, "num_heads", what);
    readJsonField(j, "relative_attention_num_buckets", c.numBuckets, what);
    readJsonField(j, "relative_attention_max_distance", c.maxDistance, what);
    c.eps = j.value("layer_norm_epsilon", c.eps);
    const std::string ff = j.value("feed_forward_proj", std::string("gated-gelu"));
    if (ff != "gated-gelu") {
      throw InputError("text encoder config.json: feed_forward_proj \"" + ff +
                       "\" is not umT5's gated-gelu");
    }
  } catch (const nlohmann::json::exception& e) {
    throw InputError(std::string("text encoder config.json: ") + e.what());
  }
  if (c.dModel < 1 || c.dKv < 1 || c.numHeads < 1 || c.numLayers < 1 || c.dFf < 1 ||
      c.numBuckets < 2 || c.maxDistance < 1)
    throw InputError("text encoder config.json: dimensions must be positive");
  return c;
}

Umt5Config inferUmt5ConfigFromShapes(const std::map<std::string, std::vector<int64_t>>& shapes) {
  auto find = [&](const std::string& suffix) -> const std::vector<int64_t>* {
    for (const auto& [key, shape] : shapes) {
      if (key.size() >= suffix.size() &&
          key.compare(key.size() - suffix.size(), suffix.size(), suffix) == 0 &&
          (key.size() == suffix.size() || key[key.size() - suffix.size() - 1] == '.'))
        return &shape;
    }
    return nullptr;
  };
  const auto* embed = find("shared.weight");
  if (!embed) embed = find("encoder.embed_tokens.weight");
  const auto* q = find("encoder.block.0.layer.0.SelfAttention.q.weight");
  const auto* bias = find("encoder.block.0.layer.0.SelfAttention.relative_attention_bias.weight");
  const auto* wi = find("encoder.block.0.layer.1.DenseReluDense.wi_0.weight");
  if (!embed || !q || !bias || !wi || embed->size() != 2 || q->size() != 2 || bias->size() != 2 ||
      wi->size() != 2) {
    throw InputError(
        "the text encoder's tensors are not umT5's (expected shared.weight and "
        "encoder.block.0.layer.0.SelfAttention.* with relative_attention_bias)");
  }
  Umt5Config c;
  c.vocabSize = static_cast<int>((*embed)[0]);
  c.dModel = static_cast<int>((*embed)[1]);
  c.numBuckets = static_cast<int>((*bias)[0]);
  c.numHeads = static_cast<int>((*bias)[1]);
  c.dKv = static_cast<int>((*q)[0] / c.numHeads);
  c.dFf = static_cast<int>((*wi)[0]);
  const std::regex block(R"((^|\.)encoder\.block\.(\d+)\.)");
  int layers = 0;
  for (const auto& [key, shape] : shapes) {
    std::smatch m;
    if (std::regex_search(key, m, block)) layers = std::max(layers, std::stoi(m[2]) + 1);
  }
  c.numLayers = layers;
  return c;
}

}  // namespace svgen
