#include "kernels/cuda/dequantize.h"

#include <stdexcept>

namespace svgen::kernels {

void dequantizeCuda(PackedFormat, const void*, int64_t, float, void*, bool, void*) {
  throw std::runtime_error("this build has no CUDA kernels (configured without nvcc)");
}

}  // namespace svgen::kernels
