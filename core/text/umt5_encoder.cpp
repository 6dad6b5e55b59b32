#include "core/text/umt5_encoder.h"

#include "core/common/error.h"
#include "core/common/tensor_shape_text.h"

#include <ATen/ATen.h>

#include <cmath>
#include <limits>

namespace svgen {

namespace {

std::vector<std::pair<std::string, std::vector<int64_t>>> expectedShapes(const Umt5Config& c) {
  const int64_t d = c.dModel, inner = static_cast<int64_t>(c.numHeads) * c.dKv;
  std::vector<std::pair<std::string, std::vector<int64_t>>> s;
  s.push_back({"shared.weight", {c.vocabSize, d}});
  for (int i = 0; i < c.numLayers; ++i) {
    const std::string b = "encoder.block." + std::to_string(i) + ".layer.";
    for (const char* n : {"q", "k", "v"})
      s.push_back({b + "0.SelfAttention." + n + ".weight", {inner, d}});
    s.push_back({b + "0.SelfAttention.o.weight", {d, inner}});
    s.push_back({b + "0.SelfAttention.relative_attention_bias.weight", {c.numBuckets, c.numHeads}});
    s.push_back({b + "0.layer_norm.weight", {d}});
    s.push_back({b + "1.DenseReluDense.wi_0.weight", {c.dFf, d}});
    s.push_back({b + "1.DenseReluDense.wi_1.weight", {c.dFf, d}});
    s.push_back({b + "1.DenseReluDense.wo.weight", {d, c.dFf}});
    s.push_back({b + "1.layer_norm.weight", {d}});
  }
  s.push_back({"encoder.final_layer_norm.weight", {d}});
  return s;
}

at::Tensor rmsNormT5(const at::Tensor& x, const at::Tensor& weight, double eps) {
  return x * at::rsqrt(x.pow(2).mean(-1, true) + eps) * weight;
}

}  // namespace

at::Tensor relativePositionBuckets(int64_t length, int numBuckets, int maxDistance) {
  at::Tensor pos = at::arange(length, at::kLong);
  at::Tensor rel = pos.view({1, -1}) - pos.view({-1, 1});  // key − query
  const int64_t half = numBuckets / 2;
  at::Tensor buckets = rel.gt(0).to(at::kLong) * half;
  rel = rel.abs();
  const int64_t maxExact = half / 2;
  // Offsets of 0 would give log(0); they take the exact branch anyway.
  at::Tensor large =
      maxExact + (at::log(rel.to(at::kFloat).clamp_min(1) / maxExact) /
                  std::log(static_cast<double>(maxDistance) / maxExact) * (half - maxExact))
                     .to(at::kLong);
  large = large.clamp_max(half - 1);
  return buckets + at::where(rel.lt(maxExact), rel, large);
}

Umt5Encoder::Umt5Encoder(Umt5Config config, const TensorMap& weights, const at::Device& device,
                         at::ScalarType dtype, at::ScalarType storage)
    : config_(config), device_(device), dtype_(dtype) {
  if (storage == at::ScalarType::Undefined) storage = dtype;
  TensorMap named;
  for (const auto& [key, t] : weights) named[fromRootName(key, {"encoder.", "shared."})] = t;
  // Files that tie the embedding keep only one of its two names.
  if (!named.count("shared.weight") && named.count("encoder.embed_tokens.weight"))
    named["shared.weight"] = named.at("encoder.embed_tokens.weight");
  for (const auto& [name, shape] : expectedShapes(config_)) {
    auto it = named.find(name);
    if (it == named.end()) throw InputError("text encoder: missing the tensor \"" + name + "\"");
    if (it->second.sizes().vec() != shape) {
      throw InputError("text encoder: tensor \"" + name + "\" has shape " +
                       shapeText(it->second.sizes().vec()) + ", expected " + shapeText(shape));
    }
    // Norm scales and the bias table stay float32; so does each feed-forward's output matrix,
    // as transformers keeps it (_keep_in_fp32_modules = ["wo"]): its inputs are the largest
    // activations in T5. The other matrices take the compute type.
    const bool small = name.find("layer_norm") != std::string::npos ||
                       name.find("relative_attention_bias") != std::string::npos;
    const bool wo = name.find("DenseReluDense.wo.") != std::string::npos;
    const at::ScalarType held = small              ? at::kFloat
                                : storage != dtype ? storage
                                : wo               ? at::kFloat
                                                   : dtype_;
    params_[name] = it->second.to(device_, held);
  }
}

at::Tensor Umt5Encoder::encode(const at::Tensor& idsIn, const at::Tensor& maskIn) const {
  const Umt5Config& c = config_;
  at::Tensor ids = idsIn.to(device_, at::kLong);
  at::Tensor mask = maskIn.to(device_, at::kFloat);
  if (ids.dim() != 2 || mask.sizes() != ids.sizes())
    throw InputError("text encoder: ids and mask must both be (batch, length)");
  if (ids.numel() > 0 &&
      (ids.min().item<int64_t>() < 0 || ids.max().item<int64_t>() >= c.vocabSize))
    throw InputError("text encoder: a token id is outside the vocabulary of " +
                     std::to_string(c.vocabSize));
  // A prompt of 20 tokens padded to Wan's 512 would cost 25 times the work for zeros.
  const at::Tensor used = mask.gt(0).any(0).nonzero();
  const int64_t columns = used.numel() == 0 ? 0 : used.max().item<int64_t>() + 1;
  const int64_t L = ids.size(1);
  at::Tensor states = at::zeros({ids.size(0), L, c.dModel}, mask.options());
  if (columns > 0)
    states.narrow(1, 0, columns)
        .copy_(encodeColumns(ids.narrow(1, 0, columns), mask.narrow(1, 0, columns)));
  return states;
}

at::Tensor Umt5Encoder::encodeColumns(const at::Tensor& ids, const at::Tensor& mask) const {
  const Umt5Config& c = config_;
  const int64_t B = ids.size(0), L = ids.size(1), H = c.numHeads, D = c.dKv;
  at::Tensor x = at::embedding(p("shared.weight"), ids).to(at::kFloat);
  const at::Tensor buckets = relativePositionBuckets(L, c.numBuckets, c.maxDistance).to(device_);
  // Padded keys get the most negative float, as transformers does: a −inf would turn a row of
  // nothing but padding into NaN.
  const at::Tensor keyMask = ((1 - mask) * std::numeric_limits<float>::lowest()).view({B, 1, 1, L});
  for (int i = 0; i < c.numLayers; ++i) {
    const std::string b = "encoder.block." + std::to_string(i) + ".layer.";
    at::Tensor h = rmsNormT5(x, p(b + "0.layer_norm.weight"), c.eps).to(dtype_);
    auto heads = [&](const char* n) {
      return at::linear(h, matrix(b + "0.SelfAttention." + n + ".weight", dtype_))
          .view({B, L, H, D})
          .transpose(1, 2);
    };
    at::Tensor q = heads("q"), k = heads("k"), v = heads("v");
    // umT5: no 1/√d scaling, and every layer has its own bias table.
    at::Tensor bias =
        at::embedding(p(b + "0.SelfAttention.relative_attention_bias.weight"), buckets)
            .permute({2, 0, 1})
            .unsqueeze(0);  // (1, H, L, L)
    at::Tensor scores = at::matmul(q, k.transpose(-2, -1)).to(at::kFloat) + bias + keyMask;
    at::Tensor a =
        at::matmul(at::softmax(scores, -1).to(dtype_), v).transpose(1, 2).reshape({B, L, H * D});
    x = x + at::linear(a, matrix(b + "0.SelfAttention.o.weight", dtype_)).to(at::kFloat);
    h = rmsNormT5(x, p(b + "1.layer_norm.weight"), c.eps).to(dtype_);
    at::Tensor gate =
        at::gelu(at::linear(h, matrix(b + "1.DenseReluDense.wi_0.weight", dtype_)), "tanh");
    gate = gate * at::linear(h, matrix(b + "1.DenseReluDense.wi_1.weight", dtype_));
    x = x + at::linear(gate.to(at::kFloat), matrix(b + "1.DenseReluDense.wo.weight", at::kFloat));
  }
  x = rmsNormT5(x, p("encoder.final_layer_norm.weight"), c.eps);
  return x * mask.unsqueeze(-1);
}

}  // namespace svgen
