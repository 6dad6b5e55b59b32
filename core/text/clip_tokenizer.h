// CLIP's tokenizer as transformers' CLIPTokenizer applies it (HunyuanVideo's tokenizer_2, and the
// text side of every CLIP-L): the prompt normalised (NFC, white space runs made one space, lower
// case), split into letters, digits and other runs, each word byte-level BPE'd with "</w>" on its
// end; <|startoftext|> in front, <|endoftext|> behind, 77 tokens at most.
#pragma once
#include "core/text/byte_level_bpe.h"
#include "core/text/unicode_text.h"

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace svgen {

class ClipTokenizer {
 public:
  // `folder` holding vocab.json and merges.txt (CLIP's files; tokenizer_config.json is not needed).
  // Throws InputError naming a missing or malformed file.
  explicit ClipTokenizer(const std::string& folder);

  // <|startoftext|>, the prompt's ids, <|endoftext|>: cut to `maxLength` tokens with the end token
  // kept last, as the pipelines truncate; not padded (the text model is causal, so what follows
  // the end token changes nothing that is read).
  // `dropped`, when given, receives how many of the prompt's tokens were cut off (for the warning a
  // user should see).
  std::vector<int64_t> encode(const std::string& prompt, int maxLength = 77,
                              int64_t* dropped = nullptr) const;
  // How many of the prompt's tokens `encode` drops.
  int64_t truncatedTokens(const std::string& prompt, int maxLength = 77) const;
  int64_t startId() const { return start_; }
  int64_t endId() const { return end_; }
  size_t vocabularySize() const { return bpe_->size(); }

 private:
  std::vector<int64_t> textIds(const std::string& prompt) const;
  std::unique_ptr<ByteLevelBpe> bpe_;
  std::unique_ptr<UnicodeSplitter> split_;
  int64_t start_ = -1, end_ = -1;
};

}  // namespace svgen
