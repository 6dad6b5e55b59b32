#include "kernels/cuda/modulation.h"

#include <stdexcept>

namespace svgen::kernels {

void modulatedLayerNormCuda(const float*, const float*, const float*, int64_t, void*, int64_t,
                            int64_t, int, float, void*) {
  throw std::runtime_error("this build has no CUDA kernels (configured without nvcc)");
}

void gatedResidualCuda(float*, const void*, const float*, int64_t, int64_t, int64_t, int, void*) {
  throw std::runtime_error("this build has no CUDA kernels (configured without nvcc)");
}

}  // namespace svgen::kernels
