#include "kernels/cuda/cuda_check.h"
#include "kernels/cuda/cuda_timer.h"

#include <algorithm>
#include <vector>

namespace svgen::kernels {

CudaTiming timeCuda(const std::function<void()>& work, int warmup, int repeats) {
  for (int i = 0; i < warmup; ++i) work();
  SVGEN_CUDA_CHECK(cudaDeviceSynchronize());
  cudaEvent_t start, stop;
  SVGEN_CUDA_CHECK(cudaEventCreate(&start));
  SVGEN_CUDA_CHECK(cudaEventCreate(&stop));
  std::vector<double> ms;
  for (int i = 0; i < std::max(1, repeats); ++i) {
    SVGEN_CUDA_CHECK(cudaEventRecord(start));
    work();
    SVGEN_CUDA_CHECK(cudaEventRecord(stop));
    SVGEN_CUDA_CHECK(cudaEventSynchronize(stop));
    float t = 0;
    SVGEN_CUDA_CHECK(cudaEventElapsedTime(&t, start, stop));
    ms.push_back(t);
  }
  cudaEventDestroy(start);
  cudaEventDestroy(stop);
  std::sort(ms.begin(), ms.end());
  return {ms[ms.size() / 2], ms.front()};
}

}  // namespace svgen::kernels
