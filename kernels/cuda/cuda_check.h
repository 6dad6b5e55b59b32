// Error checking for the .cu files: every CUDA call and launch is checked, and a failure becomes a
// std::runtime_error that names the call and where it was made (never a silent wrong result).
#pragma once
#include <cuda_runtime.h>

#include <stdexcept>
#include <string>

namespace svgen::kernels::detail {

[[noreturn]] inline void throwCudaError(cudaError_t err, const char* what, const char* file,
                                        int line) {
  throw std::runtime_error(std::string("CUDA error in ") + what + " (" + file + ":" +
                           std::to_string(line) + "): " + cudaGetErrorString(err));
}

}  // namespace svgen::kernels::detail

#define SVGEN_CUDA_CHECK(expr)                                                         \
  do {                                                                                 \
    cudaError_t svgen_err_ = (expr);                                                   \
    if (svgen_err_ != cudaSuccess)                                                     \
      ::svgen::kernels::detail::throwCudaError(svgen_err_, #expr, __FILE__, __LINE__); \
  } while (0)

// After a <<<...>>> launch: configuration errors surface here, not at the next unrelated call.
#define SVGEN_CUDA_CHECK_LAUNCH(name)                                                 \
  do {                                                                                \
    cudaError_t svgen_err_ = cudaGetLastError();                                      \
    if (svgen_err_ != cudaSuccess)                                                    \
      ::svgen::kernels::detail::throwCudaError(svgen_err_, name, __FILE__, __LINE__); \
  } while (0)
