// What core/ checks before handing a CUDA tensor to a kernel in kernels/cuda/: those kernels run
// on the legacy default stream (they cannot see LibTorch's stream type in a CPU-only build), so
// they are used only while LibTorch's current stream is that stream too; otherwise the callers
// take their ATen path and ordering stays correct.
#pragma once
#include <ATen/core/Tensor.h>

namespace svgen {

// True when t is a CUDA tensor, this build has CUDA kernels, and LibTorch's current stream on t's
// device is the default stream.
bool cudaKernelUsable(const at::Tensor& t);

// t's data pointer is a multiple of `bytes`.
bool dataAligned(const at::Tensor& t, int64_t bytes);

}  // namespace svgen
