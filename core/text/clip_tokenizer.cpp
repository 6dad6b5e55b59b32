#include "core/text/clip_tokenizer.h"

#include "core/common/error.h"
#include "core/common/json_fields.h"

#include <algorithm>
#include <filesystem>
#include <fstream>

namespace fs = std::filesystem;

namespace svgen {

namespace {

// CLIP's own word pattern (after lower-casing, so no case folding is needed).
constexpr const char* kClipSplit =
    R"(<\|startoftext\|>|<\|endoftext\|>|'s|'t|'re|'ve|'m|'ll|'d|[\p{L}]+|[\p{N}]|[^\s\p{L}\p{N}]+)";
constexpr const char* kStart = "<|startoftext|>";
constexpr const char* kEnd = "<|endoftext|>";

}  // namespace

ClipTokenizer::ClipTokenizer(const std::string& folder) {
  const fs::path vocabPath = fs::path(folder) / "vocab.json";
  const fs::path mergesPath = fs::path(folder) / "merges.txt";
  for (const fs::path& p : {vocabPath, mergesPath})
    if (!fs::is_regular_file(p)) throw InputError("CLIP tokenizer: " + p.string() + " is missing");
  std::unordered_map<std::string, int64_t> vocab;
  try {
    const nlohmann::json pieces = readJsonFile(vocabPath.string());
    for (const auto& [piece, id] : pieces.items()) vocab[piece] = id.get<int64_t>();
  } catch (const nlohmann::json::exception& e) {
    throw InputError("CLIP tokenizer: " + vocabPath.string() +
                     " is not a JSON object of pieces to ids (" + e.what() + ")");
  }
  std::ifstream in(mergesPath);
  std::vector<std::pair<std::string, std::string>> merges;
  std::string line;
  for (int number = 1; std::getline(in, line); ++number) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty() || line.rfind("#version", 0) == 0) continue;
    const size_t space = line.find(' ', 1);
    if (space == std::string::npos || line.find(' ', space + 1) != std::string::npos)
      throw InputError("CLIP tokenizer: " + mergesPath.string() + " line " +
                       std::to_string(number) + " is not two pieces: \"" + line + "\"");
    merges.emplace_back(line.substr(0, space), line.substr(space + 1));
  }
  bpe_ = std::make_unique<ByteLevelBpe>(std::move(vocab), merges, "</w>");
  start_ = bpe_->id(kStart);
  end_ = bpe_->id(kEnd);
  if (start_ < 0 || end_ < 0)
    throw InputError("CLIP tokenizer: " + vocabPath.string() + " lacks " +
                     (start_ < 0 ? kStart : kEnd));
  split_ = std::make_unique<UnicodeSplitter>(kClipSplit);
}

std::vector<int64_t> ClipTokenizer::textIds(const std::string& prompt) const {
  std::vector<int64_t> ids;
  for (const std::string& word : split_->matches(clipNormalise(prompt))) {
    if (word == kStart || word == kEnd) {
      ids.push_back(word == kStart ? start_ : end_);
      continue;
    }
    const std::vector<int64_t> w = bpe_->word(byteLevelText(word));
    ids.insert(ids.end(), w.begin(), w.end());
  }
  return ids;
}

std::vector<int64_t> ClipTokenizer::encode(const std::string& prompt, int maxLength,
                                           int64_t* dropped) const {
  if (maxLength < 2) throw InputError("CLIP tokenizer: at least 2 tokens are needed");
  std::vector<int64_t> text = textIds(prompt);
  const size_t kept = std::min<size_t>(text.size(), static_cast<size_t>(maxLength - 2));
  if (dropped) *dropped = static_cast<int64_t>(text.size() - kept);
  text.resize(kept);
  std::vector<int64_t> ids{start_};
  ids.insert(ids.end(), text.begin(), text.end());
  ids.push_back(end_);
  return ids;
}

int64_t ClipTokenizer::truncatedTokens(const std::string& prompt, int maxLength) const {
  int64_t dropped = 0;
  encode(prompt, maxLength, &dropped);
  return dropped;
}

}  // namespace svgen
