#include "core/text/tokenizer_json.h"

#include "core/common/error.h"
#include "core/common/json_fields.h"

#include <algorithm>
#include <filesystem>

namespace fs = std::filesystem;

namespace svgen {

namespace {

// GPT-2's own split, which a ByteLevel pre-tokenizer with use_regex applies.
constexpr const char* kGpt2Split =
    R"('s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+)";

std::string typeOf(const nlohmann::json& j) {
  return j.is_object() && j.contains("type") && j["type"].is_string() ? j["type"].get<std::string>()
                                                                      : std::string("?");
}

}  // namespace

TokenizerJson::TokenizerJson(const std::string& pathIn) : path_(pathIn) {
  if (fs::is_directory(path_)) path_ = (fs::path(path_) / "tokenizer.json").string();
  if (!fs::is_regular_file(path_)) throw InputError("tokenizer: " + path_ + " is missing");
  nlohmann::json j;
  try {
    j = readJsonFile(path_);
  } catch (const InputError&) {
    throw;
  } catch (const std::exception& e) {
    throw InputError("tokenizer: " + path_ + " is not valid JSON (" + e.what() + ")");
  }
  auto unsupported = [&](const std::string& what) {
    return InputError("tokenizer: " + path_ + " has " + what +
                      "; svgen reads byte-level BPE tokenizers (Llama 3's, GPT-2's)");
  };
  try {
    const nlohmann::json& model = j.at("model");
    if (typeOf(model) != "BPE") throw unsupported("a " + typeOf(model) + " model");
    if (model.value("byte_fallback", false)) throw unsupported("byte_fallback");
    if (model.contains("continuing_subword_prefix") &&
        model["continuing_subword_prefix"].is_string() &&
        !model["continuing_subword_prefix"].get<std::string>().empty())
      throw unsupported("a continuing_subword_prefix");
    std::unordered_map<std::string, int64_t> vocab;
    for (const auto& [piece, id] : model.at("vocab").items()) vocab[piece] = id.get<int64_t>();
    std::vector<std::pair<std::string, std::string>> merges;
    for (const auto& m : model.at("merges")) {
      if (m.is_array() && m.size() == 2) {
        merges.emplace_back(m[0].get<std::string>(), m[1].get<std::string>());
      } else {
        const auto text = m.get<std::string>();
        const size_t space = text.find(' ', 1);
        if (space == std::string::npos)
          throw unsupported("a merge without two parts: \"" + text + "\"");
        merges.emplace_back(text.substr(0, space), text.substr(space + 1));
      }
    }
    const std::string suffix =
        model.contains("end_of_word_suffix") && model["end_of_word_suffix"].is_string()
            ? model["end_of_word_suffix"].get<std::string>()
            : std::string();
    bpe_ = std::make_unique<ByteLevelBpe>(std::move(vocab), merges, suffix,
                                          model.value("ignore_merges", false));

    if (j.contains("normalizer") && !j["normalizer"].is_null())
      throw unsupported("a " + typeOf(j["normalizer"]) + " normalizer");

    bool byteLevel = false;
    auto preTokenizer = [&](const nlohmann::json& p) {
      const std::string type = typeOf(p);
      if (type == "ByteLevel") {
        if (p.value("add_prefix_space", false)) throw unsupported("add_prefix_space");
        if (p.value("use_regex", true)) {
          if (split_) throw unsupported("two split patterns");
          split_ = std::make_unique<UnicodeSplitter>(kGpt2Split);
        }
        byteLevel = true;
      } else if (type == "Split") {
        if (p.value("behavior", std::string()) != "Isolated" || p.value("invert", false))
          throw unsupported("a Split pre-tokenizer that does not isolate its matches");
        const nlohmann::json& pattern = p.at("pattern");
        if (split_) throw unsupported("two split patterns");
        if (pattern.contains("Regex")) {
          split_ = std::make_unique<UnicodeSplitter>(pattern["Regex"].get<std::string>());
        } else {
          throw unsupported("a Split on a plain string");
        }
      } else {
        throw unsupported("a " + type + " pre-tokenizer");
      }
    };
    const nlohmann::json& pre = j.at("pre_tokenizer");
    if (typeOf(pre) == "Sequence") {
      for (const auto& p : pre.at("pretokenizers")) preTokenizer(p);
    } else if (!pre.is_null()) {
      preTokenizer(pre);
    }
    if (!byteLevel) throw unsupported("no ByteLevel pre-tokenizer");

    for (const auto& a : j.value("added_tokens", nlohmann::json::array()))
      added_.push_back({a.at("content").get<std::string>(), a.at("id").get<int64_t>()});
    std::stable_sort(added_.begin(), added_.end(), [](const Added& a, const Added& b) {
      return a.content.size() > b.content.size();
    });

    auto templateProcessing = [&](const nlohmann::json& p) {
      bool seenText = false;
      for (const auto& piece : p.at("single")) {
        if (piece.contains("Sequence")) {
          seenText = true;
          continue;
        }
        const std::string name = piece.at("SpecialToken").at("id").get<std::string>();
        for (const auto& id : p.at("special_tokens").at(name).at("ids"))
          (seenText ? after_ : before_).push_back(id.get<int64_t>());
      }
    };
    const nlohmann::json post = j.value("post_processor", nlohmann::json());
    if (typeOf(post) == "TemplateProcessing") {
      templateProcessing(post);
    } else if (typeOf(post) == "Sequence") {
      for (const auto& p : post.at("processors")) {
        if (typeOf(p) == "TemplateProcessing")
          templateProcessing(p);
        else if (typeOf(p) != "ByteLevel")
          throw unsupported("a " + typeOf(p) + " post-processor");
      }
    } else if (!post.is_null() && typeOf(post) != "ByteLevel") {
      throw unsupported("a " + typeOf(post) + " post-processor");
    }
  } catch (const nlohmann::json::exception& e) {
    throw InputError("tokenizer: " + path_ + " is not a tokenizer.json this build understands (" +
                     e.what() + ")");
  }
}

int64_t TokenizerJson::id(const std::string& token) const {
  for (const Added& a : added_)
    if (a.content == token) return a.id;
  return bpe_->id(token);
}

size_t TokenizerJson::vocabularySize() const {
  int64_t top = static_cast<int64_t>(bpe_->size()) - 1;
  for (const Added& a : added_) top = std::max(top, a.id);
  return static_cast<size_t>(top + 1);
}

void TokenizerJson::encodePlain(const std::string& text, std::vector<int64_t>& out) const {
  if (text.empty()) return;
  const std::vector<std::string> words =
      split_ ? split_->isolate(text) : std::vector<std::string>{text};
  for (const std::string& w : words) {
    const std::vector<int64_t> ids = bpe_->word(byteLevelText(w));
    out.insert(out.end(), ids.begin(), ids.end());
  }
}

std::vector<int64_t> TokenizerJson::encode(const std::string& text) const {
  std::vector<int64_t> out(before_);
  size_t start = 0;
  for (size_t i = 0; i < text.size();) {
    const Added* hit = nullptr;
    for (const Added& a : added_)
      if (!a.content.empty() && text.compare(i, a.content.size(), a.content) == 0) {
        hit = &a;
        break;
      }
    if (!hit) {
      ++i;
      continue;
    }
    encodePlain(text.substr(start, i - start), out);
    out.push_back(hit->id);
    i += hit->content.size();
    start = i;
  }
  encodePlain(text.substr(start), out);
  out.insert(out.end(), after_.begin(), after_.end());
  return out;
}

}  // namespace svgen
