// umT5's tokenizer as the Wan 2.1 pipelines use it: SentencePiece pieces of the
// whitespace-normalised prompt, then </s>, then <pad> up to a fixed length. Wraps Debian's
// libsentencepiece; a build without it throws a clear InputError instead.
#pragma once
#include <ATen/core/Tensor.h>

#include <memory>
#include <string>
#include <vector>

namespace svgen {

struct TokenizedPrompts {
  at::Tensor ids;   // (B, length) int64, pads 0
  at::Tensor mask;  // (B, length) int64, 1 for the pieces and </s>
};

class SentencePieceTokenizer {
 public:
  // `modelPath`: a spiece.model file, or a folder holding one. Throws InputError when it is absent
  // or unreadable, naming the file.
  explicit SentencePieceTokenizer(const std::string& modelPath);
  ~SentencePieceTokenizer();

  // Pieces of one prompt after whitespace normalisation, without </s>.
  std::vector<int64_t> pieces(const std::string& prompt) const;
  // Longer prompts are cut to length − 1 pieces so </s> always fits, as the pipelines truncate.
  TokenizedPrompts encode(const std::vector<std::string>& prompts, int length) const;

  static constexpr int64_t kPadId = 0;
  static constexpr int64_t kEosId = 1;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// True when this build can read SentencePiece models.
bool sentencePieceAvailable();

}  // namespace svgen
