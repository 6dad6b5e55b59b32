// How prompts split into words, shared by the tokenizer and the scene grammar so both read the
// same words: lowercase, letters and digits (and UTF-8 bytes) only, anything else separates.
#pragma once
#include <string>
#include <vector>

namespace svgen {

std::vector<std::string> splitPromptWords(const std::string& prompt);

// The prompt's words that `vocabulary` lacks, each once, in the order they appear.
std::vector<std::string> unknownWords(const std::string& prompt,
                                      const std::vector<std::string>& vocabulary);

}  // namespace svgen
