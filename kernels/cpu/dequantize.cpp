#include "kernels/cpu/dequantize.h"

#include <stdexcept>
#include <string>

namespace svgen::kernels {

namespace {

BlockShape checkedShape(PackedFormat format, int64_t elements) {
  const BlockShape shape = blockShape(format);
  if (shape.elements == 0)
    throw std::invalid_argument("dequantize: unknown packed format " +
                                std::to_string(static_cast<int>(format)));
  if (elements < 0 || elements % shape.elements != 0)
    throw std::invalid_argument("dequantize: " + std::to_string(elements) +
                                " elements is not a whole number of " +
                                std::to_string(shape.elements) + "-element blocks");
  return shape;
}

// The format is a template argument so the switch in decodePacked folds away per loop.
template <PackedFormat F, typename Store>
void unpackBlocks(const uint8_t* src, int64_t blocks, Store store) {
  constexpr int kElements = blockShape(F).elements;
  constexpr int kBytes = blockShape(F).bytes;
#pragma omp parallel for schedule(static) if (blocks > 4096)
  for (int64_t blk = 0; blk < blocks; ++blk) {
    const uint8_t* b = src + blk * kBytes;
    for (int i = 0; i < kElements; ++i) store(blk * kElements + i, decodePacked(F, b, i));
  }
}

template <typename Store>
void unpack(PackedFormat format, const uint8_t* src, int64_t elements, Store store) {
  const int64_t blocks = elements / checkedShape(format, elements).elements;
  switch (format) {
#define SVGEN_UNPACK_CASE(F)                           \
  case PackedFormat::F:                                \
    unpackBlocks<PackedFormat::F>(src, blocks, store); \
    return;
    SVGEN_FOR_EACH_PACKED_FORMAT(SVGEN_UNPACK_CASE)
#undef SVGEN_UNPACK_CASE
  }
}

}  // namespace

void dequantizeToFloat(PackedFormat format, const uint8_t* src, int64_t elements, float scale,
                       float* dst) {
  if (scale == 1.0f)
    unpack(format, src, elements, [dst](int64_t i, float v) { dst[i] = v; });
  else
    unpack(format, src, elements, [dst, scale](int64_t i, float v) { dst[i] = v * scale; });
}

void dequantizeToBf16(PackedFormat format, const uint8_t* src, int64_t elements, float scale,
                      uint16_t* dst) {
  unpack(format, src, elements,
         [dst, scale](int64_t i, float v) { dst[i] = floatToBf16Bits(v * scale); });
}

}  // namespace svgen::kernels
