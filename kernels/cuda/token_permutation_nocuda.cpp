#include "kernels/cuda/token_permutation.h"

#include <stdexcept>

namespace svgen::kernels {

namespace {
[[noreturn]] void noCuda() {
  throw std::runtime_error("this build has no CUDA kernels (configured without nvcc)");
}
}  // namespace

void gatherTokenRows(const void*, const TokenLayout&, void*, const TokenLayout&, const void*, bool,
                     const PermutationShape&, void*) {
  noCuda();
}

void scatterTokenRows(const void*, const TokenLayout&, void*, const TokenLayout&, const void*, bool,
                      const PermutationShape&, void*) {
  noCuda();
}

}  // namespace svgen::kernels
