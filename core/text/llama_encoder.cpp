#include "core/text/llama_encoder.h"

#include "core/common/error.h"
#include "core/common/json_fields.h"
#include "core/common/tensor_shape_text.h"

#include <ATen/ATen.h>

#include <cmath>
#include <regex>

namespace svgen {

namespace {

void checkConfig(const LlamaConfig& c, const std::string& what) {
  if (c.hiddenSize < 1 || c.numHeads < 1 || c.numKvHeads < 1 || c.numHeads % c.numKvHeads != 0 ||
      c.headDim < 2 || c.headDim % 2 != 0 || c.numLayers < 1 || c.vocabSize < 1 ||
      c.intermediateSize < 1 || c.ropeTheta <= 0)
    throw InputError(what + ": impossible dimensions (hidden " + std::to_string(c.hiddenSize) +
                     ", heads " + std::to_string(c.numHeads) + "/" + std::to_string(c.numKvHeads) +
                     ", head width " + std::to_string(c.headDim) + ", layers " +
                     std::to_string(c.numLayers) + ")");
}

std::vector<std::pair<std::string, std::vector<int64_t>>> layerShapes(const LlamaConfig& c, int i) {
  const int64_t d = c.hiddenSize, f = c.intermediateSize, q = int64_t{c.numHeads} * c.headDim,
                kv = int64_t{c.numKvHeads} * c.headDim;
  const std::string l = "layers." + std::to_string(i) + ".";
  return {{l + "input_layernorm.weight", {d}},      {l + "self_attn.q_proj.weight", {q, d}},
          {l + "self_attn.k_proj.weight", {kv, d}}, {l + "self_attn.v_proj.weight", {kv, d}},
          {l + "self_attn.o_proj.weight", {d, q}},  {l + "post_attention_layernorm.weight", {d}},
          {l + "mlp.gate_proj.weight", {f, d}},     {l + "mlp.up_proj.weight", {f, d}},
          {l + "mlp.down_proj.weight", {d, f}}};
}

at::Tensor rmsNorm(const at::Tensor& x, const at::Tensor& weight, double eps) {
  return x * at::rsqrt(x.pow(2).mean(-1, true) + eps) * weight;
}

at::Tensor rotateHalf(const at::Tensor& x) {
  const int64_t half = x.size(-1) / 2;
  return at::cat({-x.narrow(-1, half, half), x.narrow(-1, 0, half)}, -1);
}

}  // namespace

LlamaConfig llamaConfigFromJson(const nlohmann::json& jIn) {
  const nlohmann::json& j = jIn.contains("text_config") ? jIn["text_config"] : jIn;
  const std::string what = "text encoder config.json";
  LlamaConfig c;
  c.vocabSize = jsonRequired<int>(j, "vocab_size", what);
  c.hiddenSize = jsonRequired<int>(j, "hidden_size", what);
  c.intermediateSize = jsonRequired<int>(j, "intermediate_size", what);
  c.numLayers = jsonRequired<int>(j, "num_hidden_layers", what);
  c.numHeads = jsonRequired<int>(j, "num_attention_heads", what);
  c.numKvHeads = jsonValue<int>(j, "num_key_value_heads", c.numHeads, what);
  c.headDim = c.numHeads > 0 ? c.hiddenSize / c.numHeads : 0;
  readJsonField(j, "head_dim", c.headDim, what);
  readJsonField(j, "rms_norm_eps", c.eps, what);
  readJsonField(j, "rope_theta", c.ropeTheta, what);
  // transformers 5 keeps θ under rope_parameters.
  if (j.contains("rope_parameters") && j["rope_parameters"].is_object()) {
    readJsonField(j["rope_parameters"], "rope_theta", c.ropeTheta, what);
    const std::string type =
        jsonValue<std::string>(j["rope_parameters"], "rope_type", "default", what);
    if (type != "default")
      throw InputError(what + ": RoPE scaling \"" + type +
                       "\" is not supported (Llama 3's plain RoPE is)");
  }
  if (j.contains("rope_scaling") && !j["rope_scaling"].is_null())
    throw InputError(what + ": RoPE scaling is not supported (Llama 3's plain RoPE is)");
  checkConfig(c, what);
  return c;
}

LlamaConfig inferLlamaConfigFromShapes(const std::map<std::string, std::vector<int64_t>>& shapes) {
  auto shape = [&](const std::string& key) -> const std::vector<int64_t>* {
    auto it = shapes.find(key);
    return it == shapes.end() || it->second.size() != 2 ? nullptr : &it->second;
  };
  const auto* embed = shape("embed_tokens.weight");
  const auto* q = shape("layers.0.self_attn.q_proj.weight");
  const auto* k = shape("layers.0.self_attn.k_proj.weight");
  const auto* gate = shape("layers.0.mlp.gate_proj.weight");
  if (!embed || !q || !k || !gate)
    throw InputError(
        "the text encoder's tensors are not a Llama model's (expected embed_tokens.weight and "
        "layers.0.self_attn.q_proj/k_proj and mlp.gate_proj)");
  LlamaConfig c;
  c.vocabSize = static_cast<int>((*embed)[0]);
  c.hiddenSize = static_cast<int>((*embed)[1]);
  c.intermediateSize = static_cast<int>((*gate)[0]);
  // Llama's heads are 128 wide; smaller models' 64 or less: the widest that divides both.
  c.headDim = 128;
  while (c.headDim > 1 && ((*q)[0] % c.headDim != 0 || (*k)[0] % c.headDim != 0)) c.headDim /= 2;
  c.numHeads = static_cast<int>((*q)[0] / c.headDim);
  c.numKvHeads = static_cast<int>((*k)[0] / c.headDim);
  const std::regex layer(R"(^layers\.(\d+)\.)");
  int layers = 0;
  for (const auto& [key, s] : shapes) {
    std::smatch m;
    if (std::regex_search(key, m, layer)) layers = std::max(layers, std::stoi(m[1]) + 1);
  }
  c.numLayers = layers;
  checkConfig(c, "text encoder");
  return c;
}

TensorMap llamaKeys(const TensorMap& weights) {
  TensorMap out;
  for (const auto& [key, t] : weights) {
    // A whole LLaVA checkpoint also holds a vision tower with its own "layers.".
    if (key.find("vision") != std::string::npos || key.find("projector") != std::string::npos ||
        key.find("lm_head") != std::string::npos)
      continue;
    const std::string own = fromRootName(key, {"embed_tokens.", "layers.", "norm."});
    if (own.rfind("embed_tokens.", 0) == 0 || own.rfind("layers.", 0) == 0 ||
        own.rfind("norm.", 0) == 0)
      out[own] = t;
  }
  return out;
}

LlamaTextEncoder::LlamaTextEncoder(LlamaConfig config, const TensorMap& weights,
                                   const at::Device& device, at::ScalarType dtype, int hiddenState,
                                   at::ScalarType storage)
    : config_(std::move(config)), device_(device), dtype_(dtype) {
  checkConfig(config_, "text encoder");
  const int L = config_.numLayers;
  const int index = hiddenState < 0 ? L + 1 + hiddenState : hiddenState;
  if (index < 0 || index > L)
    throw InputError("text encoder: hidden state " + std::to_string(hiddenState) + " of a " +
                     std::to_string(L) + "-layer model does not exist");
  layersRun_ = std::min(index, L);
  finalNorm_ = index == L;
  std::vector<std::pair<std::string, std::vector<int64_t>>> expected = {
      {"embed_tokens.weight", {config_.vocabSize, config_.hiddenSize}}};
  for (int i = 0; i < layersRun_; ++i)
    for (auto& s : layerShapes(config_, i)) expected.push_back(std::move(s));
  if (finalNorm_) expected.push_back({"norm.weight", {config_.hiddenSize}});
  const TensorMap named = llamaKeys(weights);
  const at::ScalarType held = storage == at::ScalarType::Undefined ? dtype_ : storage;
  for (const auto& [name, shape] : expected) {
    auto it = named.find(name);
    if (it == named.end()) throw InputError("text encoder: missing the tensor \"" + name + "\"");
    if (it->second.sizes().vec() != shape)
      throw InputError("text encoder: tensor \"" + name + "\" has shape " +
                       shapeText(it->second.sizes().vec()) + ", expected " + shapeText(shape));
    const bool vector = shape.size() == 1;
    params_[name] = it->second.to(device_, vector ? at::kFloat : held).contiguous();
  }
}

at::Tensor LlamaTextEncoder::encode(const at::Tensor& idsIn) const {
  const LlamaConfig& c = config_;
  if (idsIn.dim() != 2 || idsIn.size(0) != 1)
    throw InputError("text encoder: ids must be (1, L), got " + shapeText(idsIn.sizes().vec()));
  const at::Tensor ids = idsIn.to(device_, at::kLong);
  if (ids.numel() > 0 &&
      (ids.min().item<int64_t>() < 0 || ids.max().item<int64_t>() >= c.vocabSize))
    throw InputError("text encoder: a token id lies outside its vocabulary of " +
                     std::to_string(c.vocabSize));
  const int64_t L = ids.size(1), hd = c.headDim;
  const int64_t group = c.numHeads / c.numKvHeads;
  const auto f32 = at::TensorOptions().dtype(at::kFloat).device(device_);
  at::Tensor x = at::embedding(params_.at("embed_tokens.weight"), ids).to(at::kFloat);

  // RoPE over positions 0..L−1, halves rotated (transformers' rotate_half), in float32 as
  // transformers computes its tables.
  const at::Tensor invFreq =
      1.0 / at::pow(c.ropeTheta, at::arange(0, hd, 2, f32) / static_cast<double>(hd));
  const at::Tensor freqs = at::outer(at::arange(L, f32), invFreq);
  const at::Tensor angles = at::cat({freqs, freqs}, -1);
  const at::Tensor cos = angles.cos().view({1, 1, L, hd}), sin = angles.sin().view({1, 1, L, hd});
  const at::Tensor mask = at::full({L, L}, -std::numeric_limits<float>::infinity(), f32).triu(1);
  auto rope = [&](const at::Tensor& t) {
    const at::Tensor wide = t.to(at::kFloat);
    return (wide * cos + rotateHalf(wide) * sin).to(dtype_);
  };

  for (int i = 0; i < layersRun_; ++i) {
    const std::string l = "layers." + std::to_string(i) + ".";
    const at::Tensor h = rmsNorm(x, params_.at(l + "input_layernorm.weight"), c.eps).to(dtype_);
    auto project = [&](const char* name, int heads) {
      return at::linear(h, matrix(l + "self_attn." + name + ".weight"))
          .view({1, L, heads, hd})
          .transpose(1, 2);
    };
    const at::Tensor q = rope(project("q_proj", c.numHeads));
    const at::Tensor k = rope(project("k_proj", c.numKvHeads)).repeat_interleave(group, 1);
    const at::Tensor v = project("v_proj", c.numKvHeads).repeat_interleave(group, 1);
    const at::Tensor scores =
        at::matmul(q, k.transpose(2, 3)).to(at::kFloat) / std::sqrt(static_cast<double>(hd)) + mask;
    const at::Tensor a = at::matmul(at::softmax(scores, -1).to(dtype_), v)
                             .transpose(1, 2)
                             .reshape({1, L, int64_t{c.numHeads} * hd});
    x = x + at::linear(a, matrix(l + "self_attn.o_proj.weight")).to(at::kFloat);
    const at::Tensor m =
        rmsNorm(x, params_.at(l + "post_attention_layernorm.weight"), c.eps).to(dtype_);
    const at::Tensor gated = at::silu(at::linear(m, matrix(l + "mlp.gate_proj.weight"))) *
                             at::linear(m, matrix(l + "mlp.up_proj.weight"));
    x = x + at::linear(gated, matrix(l + "mlp.down_proj.weight")).to(at::kFloat);
  }
  if (finalNorm_) x = rmsNorm(x, params_.at("norm.weight"), c.eps);
  return x;
}

}  // namespace svgen
