// A decoded clip in memory: plain bytes, no LibTorch, no Qt, so every layer can hold one.
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

namespace svgen {

struct Video {
  int frames = 0;
  int height = 0;
  int width = 0;
  double fps = 8.0;
  std::vector<uint8_t> rgb;  // frames × height × width × 3, row-major, sRGB

  size_t frameBytes() const { return static_cast<size_t>(height) * width * 3; }
  const uint8_t* frame(int t) const { return rgb.data() + frameBytes() * t; }
  uint8_t* frame(int t) { return rgb.data() + frameBytes() * t; }
  bool empty() const { return frames == 0; }
};

}  // namespace svgen
