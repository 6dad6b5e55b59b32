#include "core/selftest/kernel_selftest.h"

namespace svgen {

// Filled by the CUDA qk_norm_rope kernels' change.
std::vector<KernelCheck> selftestQkNormRope(const SelftestOptions&) {
  return {};
}

}  // namespace svgen
