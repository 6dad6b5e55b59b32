// The Unicode work BPE tokenizers need before their merges, through ICU (Debian's libicu): regular
// expressions with Unicode classes (\p{L}, \p{N}) that split text into words as tokenizer.json
// files define them, and CLIP's normalisation (NFC, lower case). A build without ICU throws a clear
// InputError from every function instead.
#pragma once
#include <memory>
#include <string>
#include <vector>

namespace svgen {

// True when this build has ICU, so text can be split and normalised.
bool unicodeTextAvailable();

class UnicodeSplitter {
 public:
  // `pattern`: an ICU/Oniguruma-compatible regular expression (the syntax tokenizer.json files
  // use). Throws InputError when it does not compile, or without ICU.
  explicit UnicodeSplitter(const std::string& pattern);
  ~UnicodeSplitter();
  UnicodeSplitter(UnicodeSplitter&&) noexcept;
  UnicodeSplitter& operator=(UnicodeSplitter&&) noexcept;

  // The matches and the text between them, in order, none empty: concatenated they give `utf8`
  // back (tokenizers' "Isolated" split).
  std::vector<std::string> isolate(const std::string& utf8) const;
  // The matches only (tokenizers' "Removed" split with invert, as CLIP splits).
  std::vector<std::string> matches(const std::string& utf8) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// NFC, every run of white space made one space, the ends trimmed, lower-cased: what CLIP's
// tokenizer does to a prompt before it splits it.
std::string clipNormalise(const std::string& utf8);

}  // namespace svgen
