// Packed weights (kernels/packed_format.h) unpacked on the CPU, for a layer's weights just before
// they are used: the file's bytes stay in memory, not a widened copy of the whole model.
#pragma once
#include "kernels/packed_format.h"

#include <cstdint>

namespace svgen::kernels {

// dst[i] = scale · element i of `src`, which holds elements / blockShape(format).elements whole
// blocks. `elements` must be a multiple of the block's; throws std::invalid_argument otherwise or
// for an unknown format. Runs on all OpenMP threads.
void dequantizeToFloat(PackedFormat format, const uint8_t* src, int64_t elements, float scale,
                       float* dst);
// Same, rounded to bfloat16 bit patterns (nearest, ties to even).
void dequantizeToBf16(PackedFormat format, const uint8_t* src, int64_t elements, float scale,
                      uint16_t* dst);

}  // namespace svgen::kernels
