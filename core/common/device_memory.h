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
// Frees the allocator's cached blocks, so memory a released model used is free for other
// processes and shows as free (umT5-XXL leaves 13 GB cached otherwise).
void releaseCachedDeviceMemory(const c10::Device& device);

}  // namespace svgen
