#include "kernels/cuda/qk_norm_rope.h"

#include <stdexcept>

namespace svgen::kernels {

void rmsNormRopeBf16(const NormRopeOperand*, int, const NormRopeShape&, const float*, const float*,
                     void*) {
  throw std::runtime_error("this build has no CUDA kernels (configured without nvcc)");
}

}  // namespace svgen::kernels
