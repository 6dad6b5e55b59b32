#include "core/model/hunyuan/hunyuan_config.h"

#include "core/common/error.h"
#include "core/common/tensor_shape_text.h"
#include "core/model/required_weight.h"

#include <algorithm>
#include <regex>
#include <set>

namespace svgen {

namespace {

// The two-layer MLPs that embed a timestep, the guidance scale or a pooled text vector.
void addMlp(WeightShapes& s, const std::string& first, const std::string& second, int64_t in,
            int64_t dim) {
  addLinearShapes(s, first, in, dim);
  addLinearShapes(s, second, dim, dim);
}

int intField(const nlohmann::json& j, const char* key, int fallback) {
  if (!j.contains(key) || j[key].is_null()) return fallback;
  if (!j[key].is_number_integer())
    throw InputError(std::string("HunyuanVideo config.json: \"") + key + "\" is not an integer");
  return j[key].get<int>();
}

// The highest block index + 1 among names "<prefix><N>." (0 when none).
int countBlocks(const std::map<std::string, std::vector<int64_t>>& shapes,
                const std::string& prefix) {
  int count = 0;
  for (const auto& [name, shape] : shapes) {
    if (name.compare(0, prefix.size(), prefix) != 0) continue;
    const size_t dot = name.find('.', prefix.size());
    if (dot == std::string::npos) continue;
    try {
      count = std::max(count, std::stoi(name.substr(prefix.size(), dot - prefix.size())) + 1);
    } catch (const std::exception&) {
    }
  }
  return count;
}

}  // namespace

void validateConfig(const HunyuanConfig& c) {
  auto positive = [](int v, const char* what) {
    if (v <= 0) throw InputError(std::string("HunyuanVideo config: ") + what + " must be positive");
  };
  positive(c.inChannels, "in_channels");
  positive(c.outChannels, "out_channels");
  positive(c.numHeads, "num_attention_heads");
  positive(c.headDim, "attention_head_dim");
  positive(c.dualLayers + c.singleLayers, "num_layers + num_single_layers");
  positive(c.mlpHidden, "the feed-forward width");
  positive(c.patch, "patch_size");
  positive(c.patchT, "patch_size_t");
  positive(c.textDim, "text_embed_dim");
  positive(c.pooledDim, "pooled_projection_dim");
  if (c.headDim % 2) throw InputError("HunyuanVideo config: attention_head_dim must be even");
  const int64_t axes = c.ropeAxes[0] + c.ropeAxes[1] + c.ropeAxes[2];
  if (axes != c.headDim || c.ropeAxes[0] % 2 || c.ropeAxes[1] % 2 || c.ropeAxes[2] % 2)
    throw InputError("HunyuanVideo config: rope_axes_dim " +
                     shapeText({c.ropeAxes[0], c.ropeAxes[1], c.ropeAxes[2]}) +
                     " must be even and add up to attention_head_dim " + std::to_string(c.headDim));
}

HunyuanConfig hunyuanConfigFromJson(const nlohmann::json& j) {
  if (!j.is_object()) throw InputError("HunyuanVideo config.json is not a JSON object");
  HunyuanConfig c;
  if (j.contains("image_condition_type") && !j["image_condition_type"].is_null())
    throw InputError("HunyuanVideo config.json: image_condition_type " +
                     j["image_condition_type"].dump() +
                     " is HunyuanVideo image-to-video, which svgen does not run yet");
  c.inChannels = intField(j, "in_channels", c.inChannels);
  c.outChannels = intField(j, "out_channels", c.inChannels);
  c.numHeads = intField(j, "num_attention_heads", c.numHeads);
  c.headDim = intField(j, "attention_head_dim", c.headDim);
  c.refinerHeads = c.numHeads;
  c.dualLayers = intField(j, "num_layers", c.dualLayers);
  c.singleLayers = intField(j, "num_single_layers", c.singleLayers);
  c.refinerLayers = intField(j, "num_refiner_layers", c.refinerLayers);
  c.patch = intField(j, "patch_size", c.patch);
  c.patchT = intField(j, "patch_size_t", c.patchT);
  c.textDim = intField(j, "text_embed_dim", c.textDim);
  c.pooledDim = intField(j, "pooled_projection_dim", c.pooledDim);
  double ratio = 4.0;
  if (j.contains("mlp_ratio")) {
    if (!j["mlp_ratio"].is_number())
      throw InputError("HunyuanVideo config.json: \"mlp_ratio\" is not a number");
    ratio = j["mlp_ratio"].get<double>();
  }
  c.mlpHidden = static_cast<int>(c.dim() * ratio);
  if (j.contains("guidance_embeds")) {
    if (!j["guidance_embeds"].is_boolean())
      throw InputError("HunyuanVideo config.json: \"guidance_embeds\" is not true or false");
    c.guidanceEmbeds = j["guidance_embeds"].get<bool>();
  }
  if (j.contains("rope_theta")) {
    if (!j["rope_theta"].is_number())
      throw InputError("HunyuanVideo config.json: \"rope_theta\" is not a number");
    c.ropeTheta = j["rope_theta"].get<double>();
  }
  if (j.contains("rope_axes_dim")) {
    const auto& a = j["rope_axes_dim"];
    if (!a.is_array() || a.size() != 3 || !a[0].is_number_integer() || !a[1].is_number_integer() ||
        !a[2].is_number_integer())
      throw InputError("HunyuanVideo config.json: \"rope_axes_dim\" is not three integers");
    c.ropeAxes = {a[0].get<int64_t>(), a[1].get<int64_t>(), a[2].get<int64_t>()};
  }
  if (j.contains("qk_norm") && j["qk_norm"] != "rms_norm")
    throw InputError("HunyuanVideo config.json: qk_norm " + j["qk_norm"].dump() +
                     " (svgen runs rms_norm)");
  validateConfig(c);
  return c;
}

HunyuanConfig hunyuanConfigFromShapes(const std::map<std::string, std::vector<int64_t>>& shapes) {
  auto shape = [&](const std::string& name, size_t rank) -> const std::vector<int64_t>& {
    const auto it = shapes.find(name);
    if (it == shapes.end())
      throw InputError("HunyuanVideo transformer: no " + name + " among its tensors");
    if (it->second.size() != rank)
      throw InputError("HunyuanVideo transformer: " + name + " has shape " + shapeText(it->second) +
                       ", want " + std::to_string(rank) + " dims");
    return it->second;
  };
  HunyuanConfig c;
  const auto& patch = shape("img_in.proj.weight", 5);  // (dim, C, pt, p, p)
  const int64_t dim = patch[0];
  c.inChannels = static_cast<int>(patch[1]);
  c.patchT = static_cast<int>(patch[2]);
  c.patch = static_cast<int>(patch[3]);
  c.headDim = static_cast<int>(shape("double_blocks.0.img_attn_q_norm.weight", 1)[0]);
  if (c.headDim <= 0 || dim % c.headDim)
    throw InputError("HunyuanVideo transformer: q norm of " + std::to_string(c.headDim) +
                     " does not divide the width " + std::to_string(dim));
  c.numHeads = static_cast<int>(dim / c.headDim);
  c.refinerHeads = c.numHeads;
  c.dualLayers = countBlocks(shapes, "double_blocks.");
  c.singleLayers = countBlocks(shapes, "single_blocks.");
  c.refinerLayers = countBlocks(shapes, "txt_in.individual_token_refiner.blocks.");
  c.mlpHidden = static_cast<int>(shape("double_blocks.0.img_mlp.fc1.weight", 2)[0]);
  c.textDim = static_cast<int>(shape("txt_in.input_embedder.weight", 2)[1]);
  c.pooledDim = static_cast<int>(shape("vector_in.in_layer.weight", 2)[1]);
  c.guidanceEmbeds = shapes.count("guidance_in.mlp.0.weight") > 0;
  const int64_t out = shape("final_layer.linear.weight", 2)[0];
  if (out % c.patchVolume())
    throw InputError("HunyuanVideo transformer: final_layer.linear gives " + std::to_string(out) +
                     " values a token, not a multiple of the patch's " +
                     std::to_string(c.patchVolume()));
  c.outChannels = static_cast<int>(out / c.patchVolume());
  if (c.headDim != 128)
    throw InputError("HunyuanVideo transformer: heads of " + std::to_string(c.headDim) +
                     " are not the released model's 128, so its RoPE split is unknown: put "
                     "diffusers' config.json (rope_axes_dim) beside the weights");
  validateConfig(c);
  return c;
}

WeightShapes hunyuanParameterShapes(const HunyuanConfig& c) {
  const int64_t d = c.dim(), hd = c.headDim, mlp = c.mlpHidden;
  WeightShapes s;
  s.push_back({"img_in.proj.weight", {d, c.inChannels, c.patchT, c.patch, c.patch}});
  s.push_back({"img_in.proj.bias", {d}});
  addMlp(s, "time_in.mlp.0", "time_in.mlp.2", 256, d);
  if (c.guidanceEmbeds) addMlp(s, "guidance_in.mlp.0", "guidance_in.mlp.2", 256, d);
  addMlp(s, "vector_in.in_layer", "vector_in.out_layer", c.pooledDim, d);
  // The token refiner: the text states to the transformer's width, refined by their own blocks.
  addLinearShapes(s, "txt_in.input_embedder", c.textDim, d);
  addMlp(s, "txt_in.t_embedder.mlp.0", "txt_in.t_embedder.mlp.2", 256, d);
  addMlp(s, "txt_in.c_embedder.linear_1", "txt_in.c_embedder.linear_2", c.textDim, d);
  for (int i = 0; i < c.refinerLayers; ++i) {
    const std::string b = "txt_in.individual_token_refiner.blocks." + std::to_string(i) + ".";
    for (const char* norm : {"norm1", "norm2"}) {
      s.push_back({b + norm + ".weight", {d}});
      s.push_back({b + norm + ".bias", {d}});
    }
    addLinearShapes(s, b + "self_attn_qkv", d, 3 * d);
    addLinearShapes(s, b + "self_attn_proj", d, d);
    const int64_t refinerMlp = 4 * d;  // mlp_width_ratio 4, whatever the blocks use
    addLinearShapes(s, b + "mlp.fc1", d, refinerMlp);
    addLinearShapes(s, b + "mlp.fc2", refinerMlp, d);
    addLinearShapes(s, b + "adaLN_modulation.1", d, 2 * d);
  }
  for (int i = 0; i < c.dualLayers; ++i) {
    const std::string b = "double_blocks." + std::to_string(i) + ".";
    for (const std::string stream : {"img", "txt"}) {
      addLinearShapes(s, b + stream + "_mod.linear", d, 6 * d);
      addLinearShapes(s, b + stream + "_attn_qkv", d, 3 * d);
      s.push_back({b + stream + "_attn_q_norm.weight", {hd}});
      s.push_back({b + stream + "_attn_k_norm.weight", {hd}});
      addLinearShapes(s, b + stream + "_attn_proj", d, d);
      addLinearShapes(s, b + stream + "_mlp.fc1", d, mlp);
      addLinearShapes(s, b + stream + "_mlp.fc2", mlp, d);
    }
  }
  for (int i = 0; i < c.singleLayers; ++i) {
    const std::string b = "single_blocks." + std::to_string(i) + ".";
    addLinearShapes(s, b + "linear1", d, 3 * d + mlp);
    addLinearShapes(s, b + "linear2", d + mlp, d);
    s.push_back({b + "q_norm.weight", {hd}});
    s.push_back({b + "k_norm.weight", {hd}});
    addLinearShapes(s, b + "modulation.linear", d, 3 * d);
  }
  addLinearShapes(s, "final_layer.linear", d, c.patchVolume() * c.outChannels);
  addLinearShapes(s, "final_layer.adaLN_modulation.1", d, 2 * d);
  return s;
}

}  // namespace svgen
