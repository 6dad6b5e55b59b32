#include "core/common/cuda_launch.h"

#include "kernels/cuda/cuda_runtime_info.h"

#include <c10/core/impl/DeviceGuardImplInterface.h>

#include <cstdint>

namespace svgen {

bool cudaKernelUsable(const at::Tensor& t) {
  if (!t.defined() || !t.is_cuda() || !kernels::cudaKernelsCompiled()) return false;
  const c10::impl::DeviceGuardImplInterface* impl =
      c10::impl::getDeviceGuardImpl(c10::DeviceType::CUDA);
  // Stream id 0 is the default stream in every LibTorch version this project builds against.
  return impl->getStream(t.device()).id() == 0;
}

bool dataAligned(const at::Tensor& t, int64_t bytes) {
  return reinterpret_cast<uintptr_t>(t.data_ptr()) % static_cast<uintptr_t>(bytes) == 0;
}

}  // namespace svgen
