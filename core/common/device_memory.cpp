#include "core/common/device_memory.h"

#include "core/common/error.h"
#include "kernels/cuda/cuda_runtime_info.h"

#include <cstdio>

#ifdef SVGEN_TORCH_CUDA
#include <ATen/ATen.h>
#include <c10/cuda/CUDACachingAllocator.h>
#endif

namespace svgen {

#ifdef SVGEN_TORCH_CUDA
namespace {
constexpr size_t kAllPools = 0;  // StatType::AGGREGATE

// The allocator keeps no statistics for a device until its first allocation there ("Invalid
// device argument"), so one tiny allocation comes first.
c10::DeviceIndex readyIndex(const c10::Device& device) {
  at::empty({1}, at::TensorOptions().device(device));
  return device.has_index() ? device.index() : 0;
}
}  // namespace

void resetPeakDeviceMemory(const c10::Device& device) {
  if (!device.is_cuda()) return;
  try {
    c10::cuda::CUDACachingAllocator::resetPeakStats(readyIndex(device));
  } catch (const c10::Error&) {
    // A measurement is not worth failing a generation for.
  }
}

double peakDeviceMemoryGiB(const c10::Device& device) {
  if (!device.is_cuda()) return -1;
  try {
    const auto stats = c10::cuda::CUDACachingAllocator::getDeviceStats(readyIndex(device));
    return static_cast<double>(stats.reserved_bytes[kAllPools].peak) / (1024.0 * 1024.0 * 1024.0);
  } catch (const c10::Error&) {
    return -1;
  }
}

void releaseCachedDeviceMemory(const c10::Device& device) {
  if (device.is_cuda()) c10::cuda::CUDACachingAllocator::emptyCache();
}

double deviceMemoryInUseGiB(const c10::Device& device) {
  if (!device.is_cuda()) return -1;
  try {
    const auto stats = c10::cuda::CUDACachingAllocator::getDeviceStats(readyIndex(device));
    return static_cast<double>(stats.allocated_bytes[kAllPools].current) /
           (1024.0 * 1024.0 * 1024.0);
  } catch (const c10::Error&) {
    return -1;
  }
}

double deviceTotalGiB(const c10::Device& device) {
  uint64_t used = 0, total = 0;
  if (!device.is_cuda() || !kernels::cudaMemoryInUse(used, total) || total == 0) return -1;
  return static_cast<double>(total) / (1024.0 * 1024.0 * 1024.0);
}

DeviceMemoryLimit::DeviceMemoryLimit(const c10::Device& device, double gib) : device_(device) {
  if (!device.is_cuda() || !(gib > 0)) return;
  uint64_t used = 0, total = 0;
  if (!kernels::cudaMemoryInUse(used, total) || total == 0)
    throw InputError("--vram: the GPU's memory size cannot be read");
  const double totalGiB = static_cast<double>(total) / (1024.0 * 1024.0 * 1024.0);
  if (gib > totalGiB) {
    char msg[160];
    std::snprintf(msg, sizeof msg, "--vram %.1f GiB is more than this GPU's %.1f GiB", gib,
                  totalGiB);
    throw InputError(msg);
  }
  c10::cuda::CUDACachingAllocator::setMemoryFraction(gib / totalGiB, readyIndex(device));
  set_ = true;
}

DeviceMemoryLimit::~DeviceMemoryLimit() {
  if (set_) c10::cuda::CUDACachingAllocator::setMemoryFraction(1.0, readyIndex(device_));
}
#else
void resetPeakDeviceMemory(const c10::Device&) {}
double peakDeviceMemoryGiB(const c10::Device&) {
  return -1;
}
void releaseCachedDeviceMemory(const c10::Device&) {}
double deviceMemoryInUseGiB(const c10::Device&) {
  return -1;
}
double deviceTotalGiB(const c10::Device&) {
  return -1;
}
DeviceMemoryLimit::DeviceMemoryLimit(const c10::Device& device, double gib) : device_(device) {
  if (device.is_cuda() && gib > 0)
    throw InputError("--vram needs a LibTorch with CUDA (this build's cannot cap GPU memory)");
}
DeviceMemoryLimit::~DeviceMemoryLimit() = default;
#endif

}  // namespace svgen
