#include "core/common/device_memory.h"

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
#else
void resetPeakDeviceMemory(const c10::Device&) {}
double peakDeviceMemoryGiB(const c10::Device&) {
  return -1;
}
void releaseCachedDeviceMemory(const c10::Device&) {}
#endif

}  // namespace svgen
