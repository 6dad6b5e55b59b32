// The built-in model's text side: a word-level tokenizer over a fixed vocabulary and a small
// Transformer encoder trained together with the DiT. Unknown words are errors, never dropped.
#pragma once
#include "core/common/prompt_words.h"
#include "core/io/tensor_map.h"

#include <ATen/core/Tensor.h>

#include <cstdint>
#include <string>
#include <vector>

namespace svgen {

struct WordEncoderConfig {
  int dim = 256;  // width of the encoder and of its output states (the DiT's text_dim)
  int numLayers = 2;
  int numHeads = 4;
  int ffnDim = 512;
  int maxWords = 32;  // longest prompt in words
};

class WordTokenizer {
 public:
  // Id 0 is padding; word i of `vocabulary` gets id i + 1.
  explicit WordTokenizer(std::vector<std::string> vocabulary);
  // Throws InputError naming every unknown word and listing the vocabulary.
  std::vector<int64_t> encode(const std::string& prompt, int maxWords) const;
  // Words of the prompt that are not in the vocabulary (empty when all are known).
  std::vector<std::string> unknownWords(const std::string& prompt) const;
  const std::vector<std::string>& vocabulary() const { return vocabulary_; }
  int size() const { return static_cast<int>(vocabulary_.size()) + 1; }

 private:
  std::vector<std::string> vocabulary_;
};

std::vector<std::pair<std::string, std::vector<int64_t>>> wordEncoderParameterShapes(
    const WordEncoderConfig& config, int vocabularySize);

class WordEncoder {
 public:
  // Parameters named as wordEncoderParameterShapes() says, prefix "text_encoder.".
  WordEncoder(WordEncoderConfig config, std::vector<std::string> vocabulary,
              const TensorMap& weights, const at::Device& device);
  // States for a batch of prompts: (B, maxTokens, dim) float32, rows after each prompt's last word
  // zeroed (the DiT pads further with zeros).
  at::Tensor encode(const std::vector<std::string>& prompts) const;
  // The same for already tokenized prompts (training): ids (B, T), 0 = padding.
  at::Tensor encodeIds(const at::Tensor& ids) const;
  const WordTokenizer& tokenizer() const { return tokenizer_; }
  const WordEncoderConfig& config() const { return config_; }
  const TensorMap& parameters() const { return params_; }

 private:
  at::Tensor p(const std::string& name) const { return params_.at(name); }
  WordEncoderConfig config_;
  WordTokenizer tokenizer_;
  at::Device device_;
  TensorMap params_;
};

// Fresh seeded parameters (what training starts from): N(0, 0.02) embeddings, Xavier-uniform
// linears, zero biases, unit norms.
TensorMap initWordEncoderWeights(const WordEncoderConfig& config, int vocabularySize,
                                 uint64_t seed);

}  // namespace svgen
