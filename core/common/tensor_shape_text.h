// "[2, 3, 4]": how tensor shapes appear in error messages (drawn shapes are
// core/data/shape_renderer).
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace svgen {

inline std::string shapeText(const std::vector<int64_t>& shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i) {
    if (i) s += ", ";
    s += std::to_string(shape[i]);
  }
  return s + "]";
}

}  // namespace svgen
