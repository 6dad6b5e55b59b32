// GPU memory held by LibTorch's caching allocator: the peak of each generation stage, and giving
// back what a released model leaves cached. Only LibTorch builds with CUDA have that allocator;
// elsewhere these do nothing and report no peak.
#pragma once
#include <c10/core/Device.h>

namespace svgen {

// Starts a new peak measurement on `device`.
void resetPeakDeviceMemory(const c10::Device& device);
// GiB the process's caching allocator held at most since the last reset (what it held at the
// reset included: weights and blocks cached by earlier stages), or −1 where it cannot be measured
// (CPU).
double peakDeviceMemoryGiB(const c10::Device& device);
// GiB the caching allocator holds on `device` now (−1 where it cannot be measured).
double deviceMemoryInUseGiB(const c10::Device& device);
// The card's whole memory in GiB (−1 off CUDA or where it cannot be read).
double deviceTotalGiB(const c10::Device& device);

// Caps what the caching allocator may take on a CUDA device at `gib` for the object's lifetime, so
// a run on a large card fails where it would on a card of that size (what `--vram` promises);
// gib <= 0 sets no cap. Throws InputError when `gib` exceeds the card, and when the build's
// LibTorch has no CUDA allocator to cap (a budget that cannot be kept is not silently dropped).
// Does nothing on the CPU.
class DeviceMemoryLimit {
 public:
  DeviceMemoryLimit(const c10::Device& device, double gib);
  ~DeviceMemoryLimit();
  DeviceMemoryLimit(const DeviceMemoryLimit&) = delete;
  DeviceMemoryLimit& operator=(const DeviceMemoryLimit&) = delete;

 private:
  c10::Device device_;
  bool set_ = false;
};

// Frees the allocator's cached blocks, so memory a released model used is free for other
// processes and shows as free (umT5-XXL leaves 13 GB cached otherwise).
void releaseCachedDeviceMemory(const c10::Device& device);

}  // namespace svgen
