#include "core/pipeline/device.h"

#include "core/common/error.h"
#include "kernels/cuda/cuda_runtime_info.h"

#include <ATen/Context.h>
#include <ATen/Parallel.h>

#include <algorithm>
#include <sstream>
#include <thread>

namespace svgen {

bool cudaUsable(std::string* why) {
  if (!at::hasCUDA()) {
    if (why) *why = "this LibTorch build has no CUDA support";
    return false;
  }
  std::vector<kernels::CudaDeviceInfo> devices;
  std::string reason;
  if (!kernels::cudaKernelsCompiled()) {
    // LibTorch alone can still run the dense path; its own count decides.
    return true;
  }
  if (!kernels::queryCudaDevices(devices, reason)) {
    if (why) *why = reason;
    return false;
  }
  return true;
}

c10::Device pickDevice(const std::string& name) {
  if (name == "cpu") return c10::Device(c10::kCPU);
  if (name == "auto") {
    return cudaUsable() ? c10::Device(c10::kCUDA, 0) : c10::Device(c10::kCPU);
  }
  if (name == "cuda" || name.rfind("cuda:", 0) == 0) {
    std::string why;
    if (!cudaUsable(&why))
      throw InputError("CUDA was asked for but cannot be used (" + why + "); use --device cpu");
    try {
      c10::Device d(name == "cuda" ? std::string("cuda:0") : name);
      return d;
    } catch (const std::exception&) {
      throw InputError("device \"" + name +
                       "\" is not a valid CUDA device name (use cuda or cuda:N)");
    }
  }
  throw InputError("unknown device \"" + name + "\": use auto, cpu or cuda");
}

void useCpuThreads(int requested) {
  at::set_num_threads(requested > 0
                          ? requested
                          : static_cast<int>(std::max(1u, std::thread::hardware_concurrency())));
}

std::vector<std::string> availableDevices() {
  std::vector<std::string> out = {"cpu"};
  std::vector<kernels::CudaDeviceInfo> devices;
  std::string why;
  if (at::hasCUDA() && kernels::queryCudaDevices(devices, why)) {
    for (const auto& d : devices) out.push_back("cuda:" + std::to_string(d.index) + " " + d.name);
  }
  return out;
}

std::string deviceLabel(const c10::Device& device) {
  return device.str();
}

void synchronizeDevice(const c10::Device& device) {
  // Timers around asynchronous GPU work must wait for it to finish.
  if (device.is_cuda()) kernels::synchronizeCuda();
}

std::string describeTorchFailure(const std::string& what, const c10::Device& device,
                                 const std::string& oomContext) {
  const std::string firstLine = what.substr(0, what.find('\n'));
  if (what.find("out of memory") != std::string::npos ||
      what.find("DefaultCPUAllocator: can't allocate") != std::string::npos) {
    std::ostringstream msg;
    msg << "out of memory on " << device.str();
    if (oomContext.empty())
      msg << ": try fewer frames, a smaller size, a sparse attention method, or another device";
    else
      msg << " " << oomContext;
    msg << " (" << firstLine << ")";
    return msg.str();
  }
  return "the computation failed on " + device.str() + ": " + firstLine;
}

}  // namespace svgen
