// Byte-level BPE, the model under GPT-2's, Llama 3's and CLIP's tokenizers: a word's UTF-8 bytes
// are shown as printable characters (one per byte, GPT-2's table), then adjacent pieces are merged
// by rank, lowest first, until no ranked pair is left; each piece is a vocabulary entry.
#pragma once
#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

namespace svgen {

// `utf8`'s bytes as GPT-2's printable stand-ins (printable ASCII and Latin-1 stay themselves, the
// others map to U+0100 upwards), as UTF-8.
std::string byteLevelText(const std::string& utf8);

class ByteLevelBpe {
 public:
  // `merges` in rank order, each a pair of pieces. Throws InputError for a merge whose result is
  // not in the vocabulary, naming it (a vocabulary and merges from different tokenizers).
  ByteLevelBpe(std::unordered_map<std::string, int64_t> vocab,
               const std::vector<std::pair<std::string, std::string>>& merges,
               std::string endOfWordSuffix = {}, bool ignoreMerges = false);

  // The ids of one pre-tokenized word, given in byte-level characters. The suffix (CLIP's "</w>")
  // joins its last character; with ignoreMerges a word that is itself in the vocabulary is one id
  // (Llama 3). Throws InputError for a piece the vocabulary lacks.
  std::vector<int64_t> word(const std::string& byteLevelWord) const;

  // -1 when absent.
  int64_t id(const std::string& piece) const;
  size_t size() const { return vocab_.size(); }

 private:
  std::unordered_map<std::string, int64_t> vocab_;
  std::unordered_map<std::string, int> ranks_;  // "left\x01right" → rank
  std::string suffix_;
  bool ignoreMerges_;
};

}  // namespace svgen
