#include "core/model/builtin/builtin_words.h"

namespace svgen::builtin_words {

std::vector<std::string> vocabulary() {
  std::vector<std::string> words = {"a", "an", "and", "on", "to", "the", "from"};
  for (const char* w : kColours) words.push_back(w);
  for (const char* w : kShapes) words.push_back(w);
  for (const char* w : kSizes) words.push_back(w);
  for (const char* w : {"moving", "left", "right", "up", "down", "growing", "shrinking", "spinning",
                        "bouncing", "standing", "still", "background", "gradient", "stripes"}) {
    words.push_back(w);
  }
  return words;
}

}  // namespace svgen::builtin_words
