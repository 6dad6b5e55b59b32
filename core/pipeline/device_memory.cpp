#include "core/pipeline/device_memory.h"

#ifdef SVGEN_TORCH_CUDA
#include <c10/cuda/CUDACachingAllocator.h>
#endif

namespace svgen {

#ifdef SVGEN_TORCH_CUDA
namespace {
constexpr size_t kAllPools = 0;  // StatType::AGGREGATE

c10::DeviceIndex indexOf(const c10::Device& device) {
  return device.has_index() ? device.index() : 0;
}
}  // namespace

void resetPeakDeviceMemory(const c10::Device& device) {
  if (device.is_cuda()) c10::cuda::CUDACachingAllocator::resetPeakStats(indexOf(device));
}

double peakDeviceMemoryGiB(const c10::Device& device) {
  if (!device.is_cuda()) return -1;
  const auto stats = c10::cuda::CUDACachingAllocator::getDeviceStats(indexOf(device));
  return static_cast<double>(stats.reserved_bytes[kAllPools].peak) / (1024.0 * 1024.0 * 1024.0);
}

void releaseCachedDeviceMemory(const c10::Device& device) {
  if (device.is_cuda()) c10::cuda::CUDACachingAllocator::emptyCache();
}
#else
void resetPeakDeviceMemory(const c10::Device&) {}
double peakDeviceMemoryGiB(const c10::Device&) {
  return -1;
}
void releaseCachedDeviceMemory(const c10::Device&) {}
#endif

}  // namespace svgen
