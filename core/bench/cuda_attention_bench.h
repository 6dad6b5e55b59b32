// `svgen bench attention --device cuda`: our block-sparse kernel against dense SDPA (LibTorch's
// scaled_dot_product_attention, the baseline every ratio is taken against), both timed in the same
// run with CUDA events, at Wan 2.1 shapes on random bf16 inputs. No Qt.
#pragma once
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace svgen {

struct CudaAttentionBenchOptions {
  std::vector<int64_t> tokens = {32760, 75600};  // Wan 2.1 at 480p and 720p, 81 frames
  int heads = 12;
  int headDim = 128;
  std::vector<double> densities = {0.1, 0.2, 0.3};  // fraction of key blocks kept (1.0 is added)
  int svgBlock = 128;                               // SVG-style fixed blocks (tokens)
  int queryClusters = 300, keyClusters = 1000;      // SVG2-style variable blocks
  int repeats = 10;
  uint64_t seed = 7;
  std::string device = "cuda";
};

struct CudaAttentionBenchRow {
  int64_t tokens = 0;
  std::string kernel;  // "sdpa", or ours: "mma" (mma.sync), "wgmma"
  std::string layout;  // "dense", "fixed 128", "fixed 128 + orders", "clusters 300x1000 + orders"
  int queryTile = 0;
  double density = 1;     // counted by the kernel
  double ms = 0;          // median of the repeats
  double tflops = 0;      // on the scores computed: 4·scores·d / time
  double ofSdpaRate = 0;  // tflops / SDPA's tflops at the same length
  double speedup = 0;     // SDPA ms / ms
  double relError = 0;    // vs SDPA for the dense rows; vs the reference on a slice for sparse ones
};

struct CudaAttentionBenchReport {
  std::string gpu;
  std::string torchVersion;
  int heads = 0, headDim = 0, repeats = 0;
  std::vector<CudaAttentionBenchRow> rows;
};

CudaAttentionBenchReport runCudaAttentionBench(
    const CudaAttentionBenchOptions& options,
    const std::function<void(const std::string&)>& progress = {});

std::string cudaAttentionBenchTable(const CudaAttentionBenchReport& report);
std::string cudaAttentionBenchJson(const CudaAttentionBenchReport& report);

}  // namespace svgen
