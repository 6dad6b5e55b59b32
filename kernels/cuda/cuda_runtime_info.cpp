#include "kernels/cuda/cuda_runtime_info.h"

#ifdef SVGEN_KERNELS_CUDA
#include <cuda_runtime.h>
#endif

namespace svgen::kernels {

bool cudaKernelsCompiled() {
#ifdef SVGEN_KERNELS_CUDA
  return true;
#else
  return false;
#endif
}

void synchronizeCuda() {
#ifdef SVGEN_KERNELS_CUDA
  cudaDeviceSynchronize();
#endif
}

bool cudaMemoryInUse(uint64_t& usedBytes, uint64_t& totalBytes) {
  usedBytes = totalBytes = 0;
#ifdef SVGEN_KERNELS_CUDA
  size_t freeBytes = 0, total = 0;
  if (cudaMemGetInfo(&freeBytes, &total) != cudaSuccess) {
    cudaGetLastError();
    return false;
  }
  usedBytes = total - freeBytes;
  totalBytes = total;
  return true;
#else
  return false;
#endif
}

bool queryCudaDevices(std::vector<CudaDeviceInfo>& devices, std::string& why) {
  devices.clear();
#ifdef SVGEN_KERNELS_CUDA
  int count = 0;
  cudaError_t err = cudaGetDeviceCount(&count);
  if (err != cudaSuccess) {
    why = std::string("no usable CUDA device: ") + cudaGetErrorString(err);
    cudaGetLastError();  // clear the sticky error so later queries start clean
    return false;
  }
  if (count == 0) {
    why = "no CUDA device found";
    return false;
  }
  for (int i = 0; i < count; ++i) {
    cudaDeviceProp prop{};
    if (cudaGetDeviceProperties(&prop, i) != cudaSuccess) continue;
    CudaDeviceInfo info;
    info.index = i;
    info.name = prop.name;
    info.computeMajor = prop.major;
    info.computeMinor = prop.minor;
    info.multiprocessors = prop.multiProcessorCount;
    info.totalMemoryBytes = prop.totalGlobalMem;
    devices.push_back(info);
  }
  return !devices.empty();
#else
  why = "this build has no CUDA kernels (configured with SVGEN_CUDA=OFF or without nvcc)";
  return false;
#endif
}

}  // namespace svgen::kernels
