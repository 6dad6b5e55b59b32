#include "core/text/byte_level_bpe.h"

#include "core/common/error.h"

#include <array>
#include <limits>

namespace svgen {

namespace {

void appendUtf8(std::string& out, uint32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

// GPT-2's bytes_to_unicode: bytes that print as themselves keep their code point, the other 68
// take U+0100 onwards in byte order, so no byte becomes white space or a control character.
const std::array<std::string, 256>& byteTable() {
  static const std::array<std::string, 256> table = [] {
    std::array<std::string, 256> t;
    uint32_t next = 256;
    for (uint32_t b = 0; b < 256; ++b) {
      const bool prints = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || b >= 0xAE;
      appendUtf8(t[b], prints ? b : next++);
    }
    return t;
  }();
  return table;
}

// The UTF-8 characters of `s` (byte-level text is valid UTF-8 by construction).
std::vector<std::string> characters(const std::string& s) {
  std::vector<std::string> out;
  for (size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    const size_t n = c < 0x80 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
    out.push_back(s.substr(i, n));
    i += n;
  }
  return out;
}

std::string pairKey(const std::string& a, const std::string& b) {
  return a + '\x01' + b;
}

}  // namespace

std::string byteLevelText(const std::string& utf8) {
  std::string out;
  out.reserve(utf8.size() * 2);
  for (unsigned char b : utf8) out += byteTable()[b];
  return out;
}

ByteLevelBpe::ByteLevelBpe(std::unordered_map<std::string, int64_t> vocab,
                           const std::vector<std::pair<std::string, std::string>>& merges,
                           std::string endOfWordSuffix, bool ignoreMerges)
    : vocab_(std::move(vocab)), suffix_(std::move(endOfWordSuffix)), ignoreMerges_(ignoreMerges) {
  ranks_.reserve(merges.size());
  for (size_t r = 0; r < merges.size(); ++r) {
    const auto& [a, b] = merges[r];
    if (!vocab_.count(a + b))
      throw InputError("tokenizer: the merge \"" + a + " " + b + "\" (rank " + std::to_string(r) +
                       ") makes \"" + a + b +
                       "\", which is not in the vocabulary: vocabulary and merges do not belong "
                       "together");
    ranks_.emplace(pairKey(a, b), static_cast<int>(r));  // a repeated pair keeps its first rank
  }
}

int64_t ByteLevelBpe::id(const std::string& piece) const {
  auto it = vocab_.find(piece);
  return it == vocab_.end() ? -1 : it->second;
}

std::vector<int64_t> ByteLevelBpe::word(const std::string& byteLevelWord) const {
  if (byteLevelWord.empty()) return {};
  if (ignoreMerges_) {
    const int64_t whole = id(byteLevelWord + suffix_);
    if (whole >= 0) return {whole};
  }
  std::vector<std::string> pieces = characters(byteLevelWord);
  pieces.back() += suffix_;
  // Words are short (a few dozen characters at most after splitting): the quadratic scan costs
  // less than keeping a heap in step.
  while (pieces.size() > 1) {
    int best = std::numeric_limits<int>::max();
    size_t at = 0;
    for (size_t i = 0; i + 1 < pieces.size(); ++i) {
      auto it = ranks_.find(pairKey(pieces[i], pieces[i + 1]));
      if (it != ranks_.end() && it->second < best) best = it->second, at = i;
    }
    if (best == std::numeric_limits<int>::max()) break;
    const std::string left = pieces[at], right = pieces[at + 1];
    std::vector<std::string> merged;
    merged.reserve(pieces.size());
    for (size_t i = 0; i < pieces.size(); ++i) {
      if (i + 1 < pieces.size() && pieces[i] == left && pieces[i + 1] == right) {
        merged.push_back(left + right);
        ++i;
      } else {
        merged.push_back(pieces[i]);
      }
    }
    pieces.swap(merged);
  }
  std::vector<int64_t> ids;
  ids.reserve(pieces.size());
  for (const std::string& piece : pieces) {
    const int64_t i = id(piece);
    if (i < 0)
      throw InputError("tokenizer: the piece \"" + piece +
                       "\" is not in the vocabulary (is the vocabulary file complete?)");
    ids.push_back(i);
  }
  return ids;
}

}  // namespace svgen
