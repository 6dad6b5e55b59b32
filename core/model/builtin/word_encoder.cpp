#include "core/model/builtin/word_encoder.h"

#include "core/common/error.h"
#include "core/common/string_affixes.h"
#include "core/model/required_weight.h"
#include "core/model/weight_init.h"

#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>

#include <cctype>
#include <cmath>
#include <sstream>

namespace svgen {

WordTokenizer::WordTokenizer(std::vector<std::string> vocabulary)
    : vocabulary_(std::move(vocabulary)) {}

std::vector<std::string> WordTokenizer::unknownWords(const std::string& prompt) const {
  return svgen::unknownWords(prompt, vocabulary_);
}

std::vector<int64_t> WordTokenizer::encode(const std::string& prompt, int maxWords) const {
  const std::vector<std::string> unknown = unknownWords(prompt);
  if (!unknown.empty()) {
    std::ostringstream msg;
    msg << "the built-in model does not know the word" << (unknown.size() > 1 ? "s " : " ");
    for (size_t i = 0; i < unknown.size(); ++i) msg << (i ? ", \"" : "\"") << unknown[i] << "\"";
    msg << ". Known words:";
    for (const auto& w : vocabulary_) msg << ' ' << w;
    throw InputError(msg.str());
  }
  std::vector<int64_t> ids;
  for (const auto& w : splitPromptWords(prompt)) {
    ids.push_back(std::find(vocabulary_.begin(), vocabulary_.end(), w) - vocabulary_.begin() + 1);
  }
  if (static_cast<int>(ids.size()) > maxWords) {
    throw InputError("the prompt has " + std::to_string(ids.size()) +
                     " words; the built-in model reads at most " + std::to_string(maxWords));
  }
  return ids;
}

std::vector<std::pair<std::string, std::vector<int64_t>>> wordEncoderParameterShapes(
    const WordEncoderConfig& c, int vocabularySize) {
  std::vector<std::pair<std::string, std::vector<int64_t>>> s;
  const int64_t d = c.dim;
  s.push_back({"text_encoder.token_embedding", {vocabularySize, d}});
  s.push_back({"text_encoder.position_embedding", {c.maxWords, d}});
  for (int i = 0; i < c.numLayers; ++i) {
    const std::string b = "text_encoder.layers." + std::to_string(i) + ".";
    for (const char* norm : {"norm1", "norm2"}) {
      s.push_back({b + norm + ".weight", {d}});
      s.push_back({b + norm + ".bias", {d}});
    }
    s.push_back({b + "qkv.weight", {3 * d, d}});
    s.push_back({b + "qkv.bias", {3 * d}});
    s.push_back({b + "proj.weight", {d, d}});
    s.push_back({b + "proj.bias", {d}});
    s.push_back({b + "fc1.weight", {c.ffnDim, d}});
    s.push_back({b + "fc1.bias", {c.ffnDim}});
    s.push_back({b + "fc2.weight", {d, c.ffnDim}});
    s.push_back({b + "fc2.bias", {d}});
  }
  s.push_back({"text_encoder.norm.weight", {d}});
  s.push_back({"text_encoder.norm.bias", {d}});
  return s;
}

WordEncoder::WordEncoder(WordEncoderConfig config, std::vector<std::string> vocabulary,
                         const TensorMap& weights, const at::Device& device)
    : config_(config), tokenizer_(std::move(vocabulary)), device_(device) {
  if (config_.dim % config_.numHeads != 0)
    throw InputError("text encoder: dim must divide by heads");
  for (const auto& [name, shape] : wordEncoderParameterShapes(config_, tokenizer_.size())) {
    params_[name] = requireWeight(weights, name, shape).to(device_, at::kFloat);
  }
}

at::Tensor WordEncoder::encode(const std::vector<std::string>& prompts) const {
  const int64_t B = static_cast<int64_t>(prompts.size());
  at::Tensor ids = at::zeros({B, config_.maxWords}, at::kLong);
  for (int64_t b = 0; b < B; ++b) {
    const auto words = tokenizer_.encode(prompts[b], config_.maxWords);
    for (size_t i = 0; i < words.size(); ++i) ids[b][static_cast<int64_t>(i)] = words[i];
  }
  return encodeIds(ids.to(device_));
}

at::Tensor WordEncoder::encodeIds(const at::Tensor& idsIn) const {
  const int64_t d = config_.dim, heads = config_.numHeads, hd = d / heads;
  at::Tensor ids = idsIn.to(device_);
  const int64_t B = ids.size(0), T = ids.size(1);
  at::Tensor valid = ids.ne(0);  // (B, T)
  at::Tensor x = at::embedding(p("text_encoder.token_embedding"), ids) +
                 p("text_encoder.position_embedding").narrow(0, 0, T).unsqueeze(0);
  // Padding keys get a large negative score; −inf would turn an empty prompt into NaN.
  at::Tensor keyBias =
      at::zeros({B, T}, x.options()).masked_fill(valid.logical_not(), -1e9).view({B, 1, 1, T});
  for (int i = 0; i < config_.numLayers; ++i) {
    const std::string b = "text_encoder.layers." + std::to_string(i) + ".";
    at::Tensor h = at::layer_norm(x, {d}, p(b + "norm1.weight"), p(b + "norm1.bias"), 1e-5);
    at::Tensor qkv =
        at::linear(h, p(b + "qkv.weight"), p(b + "qkv.bias")).view({B, T, 3, heads, hd});
    at::Tensor q = qkv.select(2, 0).transpose(1, 2);
    at::Tensor k = qkv.select(2, 1).transpose(1, 2);
    at::Tensor v = qkv.select(2, 2).transpose(1, 2);
    at::Tensor scores =
        at::matmul(q, k.transpose(-2, -1)) / std::sqrt(static_cast<double>(hd)) + keyBias;
    at::Tensor a = at::matmul(at::softmax(scores, -1), v).transpose(1, 2).reshape({B, T, d});
    x = x + at::linear(a, p(b + "proj.weight"), p(b + "proj.bias"));
    h = at::layer_norm(x, {d}, p(b + "norm2.weight"), p(b + "norm2.bias"), 1e-5);
    h = at::linear(at::gelu(at::linear(h, p(b + "fc1.weight"), p(b + "fc1.bias")), "tanh"),
                   p(b + "fc2.weight"), p(b + "fc2.bias"));
    x = x + h;
  }
  x = at::layer_norm(x, {d}, p("text_encoder.norm.weight"), p("text_encoder.norm.bias"), 1e-5);
  return x * valid.unsqueeze(-1).to(x.scalar_type());
}

TensorMap initWordEncoderWeights(const WordEncoderConfig& config, int vocabularySize,
                                 uint64_t seed) {
  at::Generator gen = at::make_generator<at::CPUGeneratorImpl>(seed);
  TensorMap w;
  for (const auto& [name, shape] : wordEncoderParameterShapes(config, vocabularySize)) {
    at::Tensor t;
    if (endsWith(name, "embedding")) {
      t = at::empty(shape, at::kFloat).normal_(0.0, 0.02, gen);
    } else if (endsWith(name, ".bias")) {
      t = at::zeros(shape, at::kFloat);
    } else if (name.find("norm") != std::string::npos) {
      t = at::ones(shape, at::kFloat);
    } else {
      t = xavierUniform(shape, gen);
    }
    w[name] = t;
  }
  return w;
}

}  // namespace svgen
