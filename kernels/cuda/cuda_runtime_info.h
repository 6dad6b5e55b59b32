// What CUDA devices this process can use. Compiled with or without the CUDA toolkit; without a
// GPU (or a driver) it reports none and says why, it never aborts.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace svgen::kernels {

struct CudaDeviceInfo {
  int index = 0;
  std::string name;
  int computeMajor = 0, computeMinor = 0;
  int multiprocessors = 0;
  uint64_t totalMemoryBytes = 0;
};

// Fills `devices`; returns false with a reason in `why` when CUDA cannot be used.
bool queryCudaDevices(std::vector<CudaDeviceInfo>& devices, std::string& why);

// True when the kernels of this build were compiled with nvcc.
bool cudaKernelsCompiled();

// Bytes in use on the current CUDA device (total − free, all processes) and its total; false
// without CUDA.
bool cudaMemoryInUse(uint64_t& usedBytes, uint64_t& totalBytes);

// Waits for all work queued on the current CUDA device; a no-op without CUDA.
void synchronizeCuda();

}  // namespace svgen::kernels
