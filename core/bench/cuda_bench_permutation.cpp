#include "core/bench/cuda_kernel_bench.h"

namespace svgen {

// Filled by the CUDA permutation kernels' change.
std::vector<KernelBenchRow> benchPermutationCuda(const KernelBenchShape&) {
  return {};
}

}  // namespace svgen
