#include "core/common/prompt_words.h"

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

}  // namespace svgen
