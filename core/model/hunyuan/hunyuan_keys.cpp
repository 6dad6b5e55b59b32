#include "core/model/hunyuan/hunyuan_keys.h"

#include "core/common/error.h"

#include <ATen/ATen.h>

#include <map>
#include <optional>
#include <utility>

namespace svgen {

namespace {

bool startsWith(const std::string& s, const std::string& prefix) {
  return s.compare(0, prefix.size(), prefix) == 0;
}

bool endsWith(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() &&
         s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// Where a diffusers tensor goes: its original name, and for a fused original its slot among
// `slots` parts stacked along dim 0 (q, k, v, then the single blocks' MLP).
struct Target {
  std::string name;
  int slot = 0;
  int slots = 1;
  bool swapHalves = false;  // diffusers' (scale, shift) back to the original (shift, scale)
};

// Splits "prefix.rest" after `prefix` + "<N>." into the index and the rest; false if not so.
bool blockParts(const std::string& key, const std::string& prefix, std::string& index,
                std::string& rest) {
  if (!startsWith(key, prefix)) return false;
  const size_t dot = key.find('.', prefix.size());
  if (dot == std::string::npos) return false;
  index = key.substr(prefix.size(), dot - prefix.size());
  rest = key.substr(dot + 1);
  return !index.empty();
}

// `rest` as one of the listed diffusers parts, with the parameter suffix (".weight", ".bias")
// carried over; nullopt when none matches.
std::optional<Target> fromTable(const std::string& rest, const std::string& originalPrefix,
                                const std::vector<std::pair<std::string, Target>>& table) {
  for (const auto& [from, to] : table) {
    if (!startsWith(rest, from + ".")) continue;
    Target t = to;
    t.name = originalPrefix + to.name + rest.substr(from.size());
    return t;
  }
  return std::nullopt;
}

std::optional<Target> diffusersTarget(const std::string& key) {
  std::string index, rest;
  if (blockParts(key, "context_embedder.token_refiner.refiner_blocks.", index, rest)) {
    return fromTable(rest, "txt_in.individual_token_refiner.blocks." + index + ".",
                     {{"norm1", {"norm1"}},
                      {"norm2", {"norm2"}},
                      {"attn.to_q", {"self_attn_qkv", 0, 3}},
                      {"attn.to_k", {"self_attn_qkv", 1, 3}},
                      {"attn.to_v", {"self_attn_qkv", 2, 3}},
                      {"attn.to_out.0", {"self_attn_proj"}},
                      {"ff.net.0.proj", {"mlp.fc1"}},
                      {"ff.net.2", {"mlp.fc2"}},
                      {"norm_out.linear", {"adaLN_modulation.1"}}});
  }
  if (blockParts(key, "transformer_blocks.", index, rest)) {
    return fromTable(rest, "double_blocks." + index + ".",
                     {{"norm1.linear", {"img_mod.linear"}},
                      {"norm1_context.linear", {"txt_mod.linear"}},
                      {"attn.to_q", {"img_attn_qkv", 0, 3}},
                      {"attn.to_k", {"img_attn_qkv", 1, 3}},
                      {"attn.to_v", {"img_attn_qkv", 2, 3}},
                      {"attn.add_q_proj", {"txt_attn_qkv", 0, 3}},
                      {"attn.add_k_proj", {"txt_attn_qkv", 1, 3}},
                      {"attn.add_v_proj", {"txt_attn_qkv", 2, 3}},
                      {"attn.norm_q", {"img_attn_q_norm"}},
                      {"attn.norm_k", {"img_attn_k_norm"}},
                      {"attn.norm_added_q", {"txt_attn_q_norm"}},
                      {"attn.norm_added_k", {"txt_attn_k_norm"}},
                      {"attn.to_out.0", {"img_attn_proj"}},
                      {"attn.to_add_out", {"txt_attn_proj"}},
                      {"ff.net.0.proj", {"img_mlp.fc1"}},
                      {"ff.net.2", {"img_mlp.fc2"}},
                      {"ff_context.net.0.proj", {"txt_mlp.fc1"}},
                      {"ff_context.net.2", {"txt_mlp.fc2"}}});
  }
  if (blockParts(key, "single_transformer_blocks.", index, rest)) {
    return fromTable(rest, "single_blocks." + index + ".",
                     {{"attn.to_q", {"linear1", 0, 4}},
                      {"attn.to_k", {"linear1", 1, 4}},
                      {"attn.to_v", {"linear1", 2, 4}},
                      {"proj_mlp", {"linear1", 3, 4}},
                      {"proj_out", {"linear2"}},
                      {"attn.norm_q", {"q_norm"}},
                      {"attn.norm_k", {"k_norm"}},
                      {"norm.linear", {"modulation.linear"}}});
  }
  return fromTable(
      key, "",
      {{"x_embedder.proj", {"img_in.proj"}},
       {"time_text_embed.timestep_embedder.linear_1", {"time_in.mlp.0"}},
       {"time_text_embed.timestep_embedder.linear_2", {"time_in.mlp.2"}},
       {"time_text_embed.guidance_embedder.linear_1", {"guidance_in.mlp.0"}},
       {"time_text_embed.guidance_embedder.linear_2", {"guidance_in.mlp.2"}},
       {"time_text_embed.text_embedder.linear_1", {"vector_in.in_layer"}},
       {"time_text_embed.text_embedder.linear_2", {"vector_in.out_layer"}},
       {"context_embedder.proj_in", {"txt_in.input_embedder"}},
       {"context_embedder.time_text_embed.timestep_embedder.linear_1", {"txt_in.t_embedder.mlp.0"}},
       {"context_embedder.time_text_embed.timestep_embedder.linear_2", {"txt_in.t_embedder.mlp.2"}},
       {"context_embedder.time_text_embed.text_embedder.linear_1", {"txt_in.c_embedder.linear_1"}},
       {"context_embedder.time_text_embed.text_embedder.linear_2", {"txt_in.c_embedder.linear_2"}},
       {"norm_out.linear", {"final_layer.adaLN_modulation.1", 0, 1, true}},
       {"proj_out", {"final_layer.linear"}}});
}

}  // namespace

std::string hunyuanNotRunnable(const std::string& path, const std::string& what) {
  return path + ": " + what +
         ". svgen runs HunyuanVideo from a diffusers pipeline folder (model_index.json beside "
         "transformer/, vae/, text_encoder/, text_encoder_2/, tokenizer/ and tokenizer_2/, as "
         "hunyuanvideo-community/HunyuanVideo has them); point it at that folder. Single files "
         "(ComfyUI's) are not read yet: they come without the tokenizers";
}

std::string withoutHunyuanPrefix(const std::string& key) {
  for (const char* prefix : {"model.diffusion_model.", "diffusion_model.", "transformer."})
    if (startsWith(key, prefix)) return key.substr(std::string(prefix).size());
  return key;
}

std::string detectHunyuanKeyLayout(const std::vector<std::string>& keys) {
  // Flux shares the block names (double_blocks, single_blocks, img_in, txt_in; diffusers'
  // x_embedder and single_transformer_blocks): only HunyuanVideo has the token refiner and a
  // convolution for its patches.
  bool original = false, diffusers = false;
  for (const std::string& full : keys) {
    const std::string k = withoutHunyuanPrefix(full);
    if (startsWith(k, "txt_in.individual_token_refiner.") || startsWith(k, "img_in.proj."))
      original = true;
    if (startsWith(k, "context_embedder.token_refiner.") || startsWith(k, "x_embedder.proj."))
      diffusers = true;
  }
  if (original == diffusers) return "unknown";
  return original ? "original" : "diffusers";
}

TensorMap toOriginalHunyuanLayout(const TensorMap& weights) {
  TensorMap out;
  auto put = [&](const std::string& name, const at::Tensor& t, const std::string& from) {
    if (!out.emplace(name, t).second)
      throw InputError("HunyuanVideo checkpoint: two tensors are named " + name +
                       " once renamed (one of them " + from + ")");
  };
  // Fused originals: their parts by slot, joined once all are seen.
  struct Fused {
    std::vector<at::Tensor> parts;
    std::vector<std::string> names;
  };
  std::map<std::string, Fused> fused;
  for (const auto& [full, tensor] : weights) {
    const std::string key = withoutHunyuanPrefix(full);
    const std::optional<Target> target = diffusersTarget(key);
    if (!target) {
      put(key, tensor, full);
      continue;
    }
    at::Tensor t = tensor;
    if (target->swapHalves) {
      const int64_t half = t.size(0) / 2;
      t = at::cat({t.narrow(0, half, half), t.narrow(0, 0, half)}, 0);
    }
    if (target->slots == 1) {
      put(target->name, t, full);
      continue;
    }
    Fused& f = fused[target->name];
    f.parts.resize(target->slots);
    f.names.resize(target->slots);
    if (f.parts[target->slot].defined())
      throw InputError("HunyuanVideo checkpoint: " + full + " and " + f.names[target->slot] +
                       " are the same part of " + target->name);
    f.parts[target->slot] = t;
    f.names[target->slot] = full;
  }
  for (auto& [name, f] : fused) {
    std::string have;
    for (size_t i = 0; i < f.parts.size(); ++i) {
      if (f.parts[i].defined()) continue;
      for (const std::string& n : f.names)
        if (!n.empty()) have = n;
      throw InputError("HunyuanVideo checkpoint: " + have + " is there but not the other parts " +
                       name + " is made of (the file is incomplete)");
    }
    put(name, at::cat(f.parts, 0), f.names.front());
  }
  return out;
}

}  // namespace svgen
