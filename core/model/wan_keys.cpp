#include "core/model/wan_keys.h"

#include "core/common/error.h"
#include "core/common/string_affixes.h"

#include <utility>

namespace svgen {

namespace {

// (diffusers fragment, original fragment); block-level fragments start with '.' so they only
// match inside "blocks.N".
const std::vector<std::pair<std::string, std::string>>& blockRules() {
  static const std::vector<std::pair<std::string, std::string>> rules = {
      {".attn1.to_q.", ".self_attn.q."},
      {".attn1.to_k.", ".self_attn.k."},
      {".attn1.to_v.", ".self_attn.v."},
      {".attn1.to_out.0.", ".self_attn.o."},
      {".attn1.norm_q.", ".self_attn.norm_q."},
      {".attn1.norm_k.", ".self_attn.norm_k."},
      {".attn2.to_q.", ".cross_attn.q."},
      {".attn2.to_k.", ".cross_attn.k."},
      {".attn2.to_v.", ".cross_attn.v."},
      {".attn2.to_out.0.", ".cross_attn.o."},
      {".attn2.norm_q.", ".cross_attn.norm_q."},
      {".attn2.norm_k.", ".cross_attn.norm_k."},
      {".attn2.add_k_proj.", ".cross_attn.k_img."},
      {".attn2.add_v_proj.", ".cross_attn.v_img."},
      {".attn2.norm_added_k.", ".cross_attn.norm_k_img."},
      {".norm2.", ".norm3."},
      {".ffn.net.0.proj.", ".ffn.0."},
      {".ffn.net.2.", ".ffn.2."},
  };
  return rules;
}

const std::vector<std::pair<std::string, std::string>>& topRules() {
  static const std::vector<std::pair<std::string, std::string>> rules = {
      {"condition_embedder.text_embedder.linear_1.", "text_embedding.0."},
      {"condition_embedder.text_embedder.linear_2.", "text_embedding.2."},
      {"condition_embedder.time_embedder.linear_1.", "time_embedding.0."},
      {"condition_embedder.time_embedder.linear_2.", "time_embedding.2."},
      {"condition_embedder.time_proj.", "time_projection.1."},
      {"proj_out.", "head.head."},
      {"condition_embedder.image_embedder.norm1.", "img_emb.proj.0."},
      {"condition_embedder.image_embedder.ff.net.0.proj.", "img_emb.proj.1."},
      {"condition_embedder.image_embedder.ff.net.2.", "img_emb.proj.3."},
      {"condition_embedder.image_embedder.norm2.", "img_emb.proj.4."},
  };
  return rules;
}

std::string stripPrefix(const std::string& key) {
  for (const char* prefix : {"model.diffusion_model.", "diffusion_model."}) {
    if (startsWith(key, prefix)) return key.substr(std::string(prefix).size());
  }
  return key;
}

// Replaces the first occurrence of `from` in `key` with `to`; false when absent.
bool replaceOnce(std::string& key, const std::string& from, const std::string& to) {
  auto pos = key.find(from);
  if (pos == std::string::npos) return false;
  key.replace(pos, from.size(), to);
  return true;
}

}  // namespace

std::string wanKeyToOriginal(const std::string& rawKey) {
  std::string key = stripPrefix(rawKey);
  if (key == "scale_shift_table") return "head.modulation";
  if (startsWith(key, "blocks.")) {
    if (endsWith(key, ".scale_shift_table")) {
      return key.substr(0, key.size() - std::string("scale_shift_table").size()) + "modulation";
    }
    for (const auto& [diffusers, original] : blockRules()) {
      if (replaceOnce(key, diffusers, original)) return key;
    }
    return key;
  }
  for (const auto& [diffusers, original] : topRules()) {
    if (startsWith(key, diffusers)) return original + key.substr(diffusers.size());
  }
  return key;
}

std::string wanKeyToDiffusers(const std::string& key) {
  if (key == "head.modulation") return "scale_shift_table";
  if (startsWith(key, "blocks.")) {
    if (endsWith(key, ".modulation")) {
      return key.substr(0, key.size() - std::string("modulation").size()) + "scale_shift_table";
    }
    std::string out = key;
    for (const auto& [diffusers, original] : blockRules()) {
      if (replaceOnce(out, original, diffusers)) return out;
    }
    return out;
  }
  for (const auto& [diffusers, original] : topRules()) {
    if (startsWith(key, original)) return diffusers + key.substr(original.size());
  }
  return key;
}

std::string detectWanKeyLayout(const std::vector<std::string>& keys) {
  bool original = false, diffusers = false;
  for (const auto& raw : keys) {
    const std::string key = stripPrefix(raw);
    if (startsWith(key, "condition_embedder.") || key.find(".attn1.") != std::string::npos)
      diffusers = true;
    if (startsWith(key, "text_embedding.") || key.find(".self_attn.") != std::string::npos)
      original = true;
  }
  if (original && !diffusers) return "original";
  if (diffusers && !original) return "diffusers";
  return "unknown";
}

namespace {

template <typename Map>
Map renamedToOriginal(const Map& weights) {
  Map out;
  std::map<std::string, std::string> source;
  for (const auto& [key, tensor] : weights) {
    std::string name = wanKeyToOriginal(key);
    auto [it, inserted] = source.emplace(name, key);
    if (!inserted) {
      throw InputError("checkpoint keys \"" + it->second + "\" and \"" + key +
                       "\" both map to the parameter \"" + name + "\"");
    }
    out.emplace(std::move(name), tensor);
  }
  return out;
}

}  // namespace

TensorMap toOriginalWanLayout(const TensorMap& weights) {
  return renamedToOriginal(weights);
}

PackedMap toOriginalWanLayout(const PackedMap& weights) {
  return renamedToOriginal(weights);
}

}  // namespace svgen
