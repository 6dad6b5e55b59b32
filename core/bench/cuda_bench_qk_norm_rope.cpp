#include "core/bench/cuda_kernel_bench.h"

namespace svgen {

// Filled by the CUDA qk_norm_rope kernels' change.
std::vector<KernelBenchRow> benchQkNormRopeCuda(const KernelBenchShape&) {
  return {};
}

}  // namespace svgen
