#include "core/model/wan/clip_vision_encoder.h"

#include "core/common/error.h"
#include "core/common/json_fields.h"
#include "core/common/tensor_shape_text.h"
#include "core/text/clip_layers.h"

#include <ATen/ATen.h>

#include <cmath>

namespace svgen {

namespace {

using Shapes = std::vector<std::pair<std::string, std::vector<int64_t>>>;

ClipLayerShape layerShape(const ClipVisionConfig& c) {
  return {c.hiddenSize, c.intermediateSize, c.numHeads, c.eps, c.activation};
}

Shapes expectedShapes(const ClipVisionConfig& c) {
  const int64_t d = c.hiddenSize, f = c.intermediateSize, p = c.patchSize;
  Shapes s = {{"embeddings.class_embedding", {d}},
              {"embeddings.patch_embedding.weight", {d, 3, p, p}},
              {"embeddings.position_embedding.weight", {c.tokens(), d}},
              {"pre_layrnorm.weight", {d}},
              {"pre_layrnorm.bias", {d}}};
  // The last layer's output is not used: its weights need not be there.
  for (int i = 0; i + 1 < c.numLayers; ++i)
    for (auto& shape : clipLayerShapes(layerShape(c), i)) s.push_back(std::move(shape));
  return s;
}

bool keptInFloat32(const std::string& name) {
  return name.find("norm") != std::string::npos || name.find("embedding") != std::string::npos;
}

void checkConfig(const ClipVisionConfig& c, const std::string& what) {
  if (c.hiddenSize < 1 || c.numHeads < 1 || c.hiddenSize % c.numHeads != 0 || c.numLayers < 2 ||
      c.patchSize < 1 || c.imageSize < c.patchSize || c.intermediateSize < 1)
    throw InputError(what + ": impossible dimensions (hidden " + std::to_string(c.hiddenSize) +
                     ", heads " + std::to_string(c.numHeads) + ", layers " +
                     std::to_string(c.numLayers) + ", patch " + std::to_string(c.patchSize) +
                     ", image " + std::to_string(c.imageSize) + ")");
  if (c.activation != "gelu" && c.activation != "quick_gelu")
    throw InputError(what + ": hidden_act \"" + c.activation + "\" (gelu or quick_gelu)");
}

}  // namespace

ClipVisionConfig clipVisionConfigFromJson(const nlohmann::json& jIn) {
  const nlohmann::json& j = jIn.contains("vision_config") ? jIn["vision_config"] : jIn;
  const std::string what = "image encoder config.json";
  ClipVisionConfig c;
  c.hiddenSize = jsonRequired<int>(j, "hidden_size", what);
  c.intermediateSize = jsonRequired<int>(j, "intermediate_size", what);
  c.numHeads = jsonRequired<int>(j, "num_attention_heads", what);
  c.numLayers = jsonRequired<int>(j, "num_hidden_layers", what);
  c.patchSize = jsonRequired<int>(j, "patch_size", what);
  c.imageSize = jsonRequired<int>(j, "image_size", what);
  readJsonField(j, "layer_norm_eps", c.eps, what);
  readJsonField(j, "hidden_act", c.activation, what);
  checkConfig(c, what);
  return c;
}

ClipVisionConfig inferClipVisionConfigFromShapes(
    const std::map<std::string, std::vector<int64_t>>& shapes) {
  auto shape = [&](const std::string& key) -> const std::vector<int64_t>* {
    auto it = shapes.find(key);
    return it == shapes.end() ? nullptr : &it->second;
  };
  const auto* patch = shape("embeddings.patch_embedding.weight");
  const auto* positions = shape("embeddings.position_embedding.weight");
  const auto* fc1 = shape("encoder.layers.0.mlp.fc1.weight");
  if (!patch || patch->size() != 4 || !positions || positions->size() != 2 || !fc1 ||
      fc1->size() != 2)
    throw InputError(
        "the image encoder's tensors are not a CLIP vision model's (expected "
        "vision_model.embeddings.patch_embedding.weight, position_embedding and "
        "encoder.layers.0.mlp.fc1)");
  ClipVisionConfig c;
  c.hiddenSize = static_cast<int>((*patch)[0]);
  c.patchSize = static_cast<int>((*patch)[2]);
  const auto side =
      static_cast<int>(std::lround(std::sqrt(static_cast<double>((*positions)[0] - 1))));
  c.imageSize = side * c.patchSize;
  c.intermediateSize = static_cast<int>((*fc1)[0]);
  c.numLayers = clipLayerCount(shapes);
  c.numHeads = c.hiddenSize % 80 == 0 ? c.hiddenSize / 80 : std::max(1, c.hiddenSize / 64);
  checkConfig(c, "image encoder");
  return c;
}

TensorMap clipVisionKeys(const TensorMap& weights) {
  return clipPartKeys(weights, "vision_model.",
                      {"embeddings.", "encoder.layers.", "pre_layrnorm.", "post_layernorm."});
}

ClipVisionEncoder::ClipVisionEncoder(ClipVisionConfig config, const TensorMap& weights,
                                     const at::Device& device, at::ScalarType dtype)
    : config_(std::move(config)), device_(device), dtype_(dtype) {
  checkConfig(config_, "image encoder");
  const TensorMap named = clipVisionKeys(weights);
  for (const auto& [name, shape] : expectedShapes(config_)) {
    auto it = named.find(name);
    if (it == named.end())
      throw InputError("image encoder: missing the tensor \"vision_model." + name + "\"");
    if (it->second.sizes().vec() != shape)
      throw InputError("image encoder: tensor \"vision_model." + name + "\" has shape " +
                       shapeText(it->second.sizes().vec()) + ", expected " + shapeText(shape));
    params_[name] = it->second.to(device_, keptInFloat32(name) ? at::kFloat : dtype_).contiguous();
  }
}

at::Tensor ClipVisionEncoder::preprocess(const at::Tensor& images) const {
  if (images.dim() != 4 || images.size(1) != 3)
    throw InputError("image encoder: images must be (B, 3, H, W), got " +
                     shapeText(images.sizes().vec()));
  const int64_t s = config_.imageSize;
  at::Tensor x = at::upsample_bicubic2d(images.to(device_, at::kFloat), {s, s}, false);
  const auto opts = at::TensorOptions().dtype(at::kFloat).device(device_);
  const at::Tensor mean = at::tensor(std::vector<double>(config_.mean.begin(), config_.mean.end()),
                                     opts.dtype(at::kDouble))
                              .to(opts)
                              .view({1, 3, 1, 1});
  const at::Tensor std = at::tensor(std::vector<double>(config_.std.begin(), config_.std.end()),
                                    opts.dtype(at::kDouble))
                             .to(opts)
                             .view({1, 3, 1, 1});
  return (x * 0.5 + 0.5 - mean) / std;
}

at::Tensor ClipVisionEncoder::encode(const at::Tensor& pixelsIn) const {
  const ClipVisionConfig& c = config_;
  if (pixelsIn.dim() != 4 || pixelsIn.size(1) != 3 || pixelsIn.size(2) != c.imageSize ||
      pixelsIn.size(3) != c.imageSize)
    throw InputError("image encoder: pixels must be (B, 3, " + std::to_string(c.imageSize) + ", " +
                     std::to_string(c.imageSize) + "), got " + shapeText(pixelsIn.sizes().vec()));
  const auto& p = params_;
  const int64_t B = pixelsIn.size(0), d = c.hiddenSize;
  at::Tensor patches = at::conv2d(pixelsIn.to(device_, at::kFloat),
                                  p.at("embeddings.patch_embedding.weight"), {}, c.patchSize)
                           .flatten(2)
                           .transpose(1, 2);  // (B, N, d)
  at::Tensor x =
      at::cat({p.at("embeddings.class_embedding").view({1, 1, d}).expand({B, 1, d}), patches}, 1) +
      p.at("embeddings.position_embedding.weight").unsqueeze(0);
  x = at::layer_norm(x, {d}, p.at("pre_layrnorm.weight"), p.at("pre_layrnorm.bias"), c.eps);
  return clipLayers(x, p, layerShape(c), c.numLayers - 1, dtype_, /*causal=*/false);
}

}  // namespace svgen
