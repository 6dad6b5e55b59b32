// `svgen bench attention`: one self-attention call timed through every method, on the model's own
// q, k, v (or random ones), with speedups and errors taken against the dense kernel measured in the
// same run. The numbers in docs/benchmarks.md come from here. No Qt.
#pragma once
#include "core/attention/attention_config.h"

#include <array>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

namespace svgen {

// "aten" and every registered method, in the registry's order.
std::vector<std::string> attentionBenchMethods();

struct AttentionBenchOptions {
  // Inputs: q, k, v of one self-attention layer of a forward pass of the model, or random ones.
  std::string model = "builtin";
  std::string prompt = "a red circle moving right on a blue background";
  int frames = 0, width = 0, height = 0;  // 0: the model's defaults
  int layer = -1;                         // -1: the middle layer
  // Noise level of the latent the layer sees: (1 − σ)·x̂0 + σ·ε, x̂0 being the model's prediction
  // from pure noise (one extra dense forward pass when σ < 1); the timestep is 1000·σ.
  double sigma = 0.5;
  uint64_t seed = 42;
  bool synthetic = false;  // random q, k, v (standard normal) instead of the model's
  std::array<int64_t, 3> grid = {8, 16, 16};  // synthetic: frames × height × width tokens
  int heads = 4, headDim = 64;                // synthetic

  std::string device = "cpu";  // cpu, cuda, cuda:N or auto
  int threads = 0;             // 0: all cores
  int repeats = 5;             // timed calls after one warm-up call
  int gemmSize = 2048;         // n of the n × n × n float32 matmul; 0 skips it
  // "aten" (matmul + softmax + matmul per head), "dense" (the tiled kernel: always measured, the
  // baseline) and registered methods; each sparse method at each value of its sweep.
  std::vector<std::string> methods = attentionBenchMethods();
  // Per method id, the values its sweep tries (MethodDescriptor::sweep when absent).
  std::map<std::string, std::vector<double>> sweeps;
  // Clusters, iterations, SVG block size, SVOO's top-p; warm-up is always off here and the method
  // and budget fields are set per row.
  AttentionConfig config;
};

struct AttentionBenchRow {
  std::string method;  // aten, dense, svg, svg2, svoo
  std::string budget;  // "density", "top-p", "key fraction"; "" for the dense rows
  double budgetValue = 0;
  double density = 1;        // scores computed / all scores, counted by the kernel
  double firstSeconds = 0;   // the first (warm-up) call: SVG2/SVOO cluster from scratch there
  double medianSeconds = 0;  // over the repeats
  double minSeconds = 0;     // over the repeats
  double speedup = 1;        // tiled dense median / this median
  double gflops = 0;         // dense rows: 4·B·heads·L²·d / median; 0 for sparse rows
  double relativeError = 0;  // ‖o − o_dense‖ / ‖o_dense‖
};

struct AttentionBenchReport {
  std::string source;  // "model" or "synthetic"
  std::string model, modelLabel, prompt;
  int layer = 0, numLayers = 1;
  double sigma = 1;
  uint64_t seed = 0;
  std::string device, isa;
  int threads = 1;
  int64_t batch = 1, tokens = 0, heads = 0, headDim = 0;
  std::array<int64_t, 3> grid = {1, 1, 1};
  int repeats = 0;
  int gemmSize = 0;
  double gemmGflops = 0;  // 0 when skipped
  std::vector<AttentionBenchRow> rows;
};

// Runs the benchmark. `progress` gets a line per measurement (may be empty); `cancelled` is polled
// between calls and throws Cancelled when it returns true. Throws InputError on bad options.
AttentionBenchReport runAttentionBench(const AttentionBenchOptions& options,
                                       const std::function<void(const std::string&)>& progress = {},
                                       const std::function<bool()>& cancelled = {});

// Problems with the options, one sentence each; empty when they can run.
std::vector<std::string> attentionBenchProblems(const AttentionBenchOptions& options);

// The report as an aligned table (with a header line), as JSON and as CSV (one row a line).
std::string attentionBenchTable(const AttentionBenchReport& report);
std::string attentionBenchJson(const AttentionBenchReport& report);
std::string attentionBenchCsv(const AttentionBenchReport& report);

}  // namespace svgen
