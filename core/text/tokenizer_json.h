// A byte-level BPE tokenizer read from a Hugging Face tokenizer.json, as Llama 3's (and so
// LLaVA-Llama-3's, HunyuanVideo's first text encoder's) ships: added tokens matched literally
// first, a regex split and the byte-level mapping, the BPE model, the special tokens its
// post-processor puts around the text. Other tokenizer.json kinds (WordPiece, Unigram, normalizers)
// are refused with a message naming what is there.
#pragma once
#include "core/text/byte_level_bpe.h"
#include "core/text/unicode_text.h"

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace svgen {

class TokenizerJson {
 public:
  // `path`: a tokenizer.json, or a folder holding one. Throws InputError naming the file for
  // anything missing, malformed or unsupported.
  explicit TokenizerJson(const std::string& path);

  // The ids of `text` with the post-processor's special tokens around it (Llama 3: the
  // <|begin_of_text|> in front). Special tokens written in the text (<|eot_id|>) are themselves.
  std::vector<int64_t> encode(const std::string& text) const;
  // -1 when neither the vocabulary nor the added tokens hold it.
  int64_t id(const std::string& token) const;
  size_t vocabularySize() const;

 private:
  struct Added {
    std::string content;
    int64_t id;
  };
  // `text` without added tokens in it: split, byte-level, BPE.
  void encodePlain(const std::string& text, std::vector<int64_t>& out) const;

  std::string path_;
  std::unique_ptr<ByteLevelBpe> bpe_;
  std::vector<Added> added_;  // longest first, so a token that starts another loses to it
  std::unique_ptr<UnicodeSplitter> split_;  // null: the whole text is one word
  std::vector<int64_t> before_, after_;     // the post-processor's special tokens
};

}  // namespace svgen
