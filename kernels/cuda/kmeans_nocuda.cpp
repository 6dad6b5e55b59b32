// kmeans.h without nvcc: nothing is supported, and every kernel entry throws, so callers link the
// same way and fall back to their ATen code.
#include "kernels/cuda/kmeans.h"

#include <stdexcept>
#include <string>

namespace svgen::kernels {

namespace {
[[noreturn]] void noKernels(const char* what) {
  throw std::runtime_error(
      std::string("this build has no CUDA kernels (configured without nvcc): ") + what);
}
}  // namespace

bool kmeansSupports(int, int) {
  return false;
}
bool clusterLayoutSupports(int) {
  return false;
}
bool clusterSelectionSupports(int) {
  return false;
}

void kmeansAssign(const void*, PointType, int, int64_t, int, const uint16_t*, const float*, int,
                  int64_t*, int32_t*, void*) {
  noKernels("kmeansAssign");
}

void kmeansPrepareCentroids(const float*, int, int, int, uint16_t*, float*, void*) {
  noKernels("kmeansPrepareCentroids");
}

size_t kmeansWorkspaceBytes(int, int, int) {
  noKernels("kmeansWorkspaceBytes");
}

int kmeansCuda(const void*, PointType, int, int64_t, int, int, int, bool, float*, int64_t*,
               int64_t*, void*, void*) {
  noKernels("kmeansCuda");
}

size_t clusterLayoutWorkspaceBytes(int, int64_t, int) {
  noKernels("clusterLayoutWorkspaceBytes");
}

void clusterLayoutCuda(const int64_t*, int, int64_t, int, int64_t*, int32_t*, void*, void*) {
  noKernels("clusterLayoutCuda");
}

size_t clusterSelectionWorkspaceBytes(int, int, int) {
  noKernels("clusterSelectionWorkspaceBytes");
}

void selectKeyClustersCuda(const float*, int, int, int, const SelectionRule&, int32_t*, int32_t*,
                           void*, void*) {
  noKernels("selectKeyClustersCuda");
}

}  // namespace svgen::kernels
