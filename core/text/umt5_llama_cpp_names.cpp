#include "core/text/umt5_llama_cpp_names.h"

#include "core/common/error.h"
#include "core/common/string_affixes.h"

#include <utility>

namespace svgen {

namespace {

// Per block: llama.cpp's part name → transformers' path under encoder.block.N.
const std::pair<const char*, const char*> kBlockParts[] = {
    {"attn_q", "layer.0.SelfAttention.q"},
    {"attn_k", "layer.0.SelfAttention.k"},
    {"attn_v", "layer.0.SelfAttention.v"},
    {"attn_o", "layer.0.SelfAttention.o"},
    {"attn_rel_b", "layer.0.SelfAttention.relative_attention_bias"},
    {"attn_norm", "layer.0.layer_norm"},
    {"ffn_gate", "layer.1.DenseReluDense.wi_0"},
    {"ffn_up", "layer.1.DenseReluDense.wi_1"},
    {"ffn_down", "layer.1.DenseReluDense.wo"},
    {"ffn_norm", "layer.1.layer_norm"},
};

}  // namespace

bool isLlamaCppT5Name(const std::string& name) {
  return startsWith(name, "enc.blk.") || startsWith(name, "token_embd.") ||
         startsWith(name, "enc.output_norm.");
}

std::string umt5NameFromLlamaCpp(const std::string& name) {
  if (startsWith(name, "token_embd.")) return "shared." + name.substr(11);
  if (startsWith(name, "enc.output_norm.")) return "encoder.final_layer_norm." + name.substr(16);
  if (!startsWith(name, "enc.blk.")) return name;
  // enc.blk.<N>.<part>.<weight|bias>
  const size_t numberEnd = name.find('.', 8);
  if (numberEnd == std::string::npos) return name;
  const std::string block = name.substr(8, numberEnd - 8);
  const std::string rest = name.substr(numberEnd + 1);
  for (const auto& [part, path] : kBlockParts) {
    const std::string prefix = std::string(part) + ".";
    if (startsWith(rest, prefix))
      return "encoder.block." + block + "." + path + "." + rest.substr(prefix.size());
  }
  return name;
}

TensorMap umt5FromLlamaCppNames(const TensorMap& weights) {
  TensorMap out;
  std::map<std::string, std::string> source;
  for (const auto& [key, t] : weights) {
    std::string name = umt5NameFromLlamaCpp(key);
    if (auto [it, fresh] = source.emplace(name, key); !fresh)
      throw InputError("text encoder tensors \"" + it->second + "\" and \"" + key +
                       "\" both map to \"" + name + "\"");
    out.emplace(std::move(name), t);
  }
  return out;
}

}  // namespace svgen
