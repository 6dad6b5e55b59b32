// The words of the built-in model's prompt language, in the order its word encoder numbers them
// when it is made untrained (a trained model folder lists its own in config.json). The scene
// renderer (core/data/scene) gives them their meaning; the model family owns the words, so the
// engine needs no renderer to describe a built-in model.
#pragma once
#include <string>
#include <vector>

namespace svgen::builtin_words {

inline constexpr const char* kColours[] = {"red",    "orange", "yellow", "green", "cyan", "blue",
                                           "purple", "pink",   "white",  "gray",  "black"};
inline constexpr const char* kShapes[] = {"circle", "square", "triangle", "star", "ring"};
inline constexpr const char* kSizes[] = {"small", "medium", "large"};

// Every word, numbered by position: articles and joins, colours, shapes, sizes, then the words of
// motions and backgrounds.
std::vector<std::string> vocabulary();

}  // namespace svgen::builtin_words
