// `svgen bench kernels --device cuda`: each CUDA kernel family timed (CUDA events, median) against
// the LibTorch ops it replaces, measured in the same run, at Wan 2.1 shapes. No Qt.
#pragma once
#include <array>
#include <cstdint>
#include <string>
#include <vector>

namespace svgen {

struct KernelBenchShape {
  // Wan 2.1 1.3B at 720p, 81 frames: 21 × 45 × 80 latent tokens after the (1, 2, 2) patch.
  std::array<int64_t, 3> grid = {21, 45, 80};
  int batch = 1;
  int heads = 12;
  int headDim = 128;
  int queryClusters = 300;  // SVG2's Wan 720p defaults
  int keyClusters = 1000;
  int warmIterations = 2;  // k-means iterations per call after the first step
  int repeats = 20;
  int64_t tokens() const { return grid[0] * grid[1] * grid[2]; }
};

struct KernelBenchRow {
  std::string kernel;      // e.g. "kmeans_assign", "qk_norm_rope"
  std::string shape;       // human-readable problem size
  double ms = 0;           // ours, median
  double referenceMs = 0;  // the LibTorch ops it replaces (0: no reference timed)
  std::string reference;   // what the reference is
  double gbPerSecond = 0;  // bytes that must move / ms (0: not meaningful)
  double tflops = 0;       // operations / ms (0: not meaningful)
  std::string note;
};

// One function per kernel family (each in cuda_bench_<family>.cpp); they need a CUDA device.
std::vector<KernelBenchRow> benchKmeansCuda(const KernelBenchShape& shape);
std::vector<KernelBenchRow> benchPermutationCuda(const KernelBenchShape& shape);
std::vector<KernelBenchRow> benchQkNormRopeCuda(const KernelBenchShape& shape);

}  // namespace svgen
