// Times GPU work with CUDA events (device time, not host time): warm-up calls first, then the
// median of the timed calls. Without CUDA it throws.
#pragma once
#include <functional>

namespace svgen::kernels {

struct CudaTiming {
  double medianMs = 0;
  double minMs = 0;
};

// `work` enqueues the work on the default stream; each call is timed on its own.
CudaTiming timeCuda(const std::function<void()>& work, int warmup, int repeats);

}  // namespace svgen::kernels
