// Choosing and describing the compute device; turning LibTorch failures into messages users act on.
#pragma once
#include <c10/core/Device.h>

#include <string>
#include <vector>

namespace svgen {

// "cpu", "cuda", "cuda:N" or "auto" (CUDA when usable, else CPU). Asking for CUDA where there is
// none is an InputError that says why and suggests --device cpu.
c10::Device pickDevice(const std::string& name);

// True when this LibTorch build and this machine can run on CUDA; `why` says why not.
bool cudaUsable(std::string* why = nullptr);

// LibTorch's CPU threads: `requested`, or every core when it is 0 (LibTorch's own default is not
// always every core).
void useCpuThreads(int requested);

std::vector<std::string> availableDevices();
std::string deviceLabel(const c10::Device& device);
void synchronizeDevice(const c10::Device& device);

// A LibTorch error as a user-facing sentence: out-of-memory gets a suggestion, `oomContext`'s
// when given (what the run was doing, its budget and what frees memory there, e.g. "while
// decoding (--vram 8.0): try --tiled-decode, or a smaller size"), else a general one.
std::string describeTorchFailure(const std::string& what, const c10::Device& device,
                                 const std::string& oomContext = {});

}  // namespace svgen
