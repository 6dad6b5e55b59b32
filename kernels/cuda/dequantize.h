// Packed weights (kernels/packed_format.h) unpacked on the GPU just before a layer uses them, with
// the same element decoder as the CPU path. Plain C++ interface on raw device pointers.
#pragma once
#include "kernels/packed_format.h"

#include <cstdint>

namespace svgen::kernels {

// dst[i] = scale · element i of the device buffer `src` (whole blocks; see dequantizeToFloat),
// written as float, or as bfloat16 when toBf16. `stream` is a cudaStream_t, nullptr the legacy
// default stream. Throws std::invalid_argument for an unknown format or a partial block.
void dequantizeCuda(PackedFormat format, const void* src, int64_t elements, float scale, void* dst,
                    bool toBf16, void* stream);

}  // namespace svgen::kernels
