#include "core/common/prompt_words.h"

#include <algorithm>

#include <cctype>

namespace svgen {

std::vector<std::string> splitPromptWords(const std::string& prompt) {
  std::vector<std::string> words;
  std::string current;
  for (unsigned char ch : prompt) {
    if (std::isalnum(ch) || ch >= 0x80) {
      current.push_back(static_cast<char>(std::tolower(ch)));
    } else if (!current.empty()) {
      words.push_back(current);
      current.clear();
    }
  }
  if (!current.empty()) words.push_back(current);
  return words;
}

std::vector<std::string> unknownWords(const std::string& prompt,
                                      const std::vector<std::string>& vocabulary) {
  std::vector<std::string> unknown;
  for (const auto& w : splitPromptWords(prompt)) {
    if (std::find(vocabulary.begin(), vocabulary.end(), w) == vocabulary.end() &&
        std::find(unknown.begin(), unknown.end(), w) == unknown.end()) {
      unknown.push_back(w);
    }
  }
  return unknown;
}

}  // namespace svgen
