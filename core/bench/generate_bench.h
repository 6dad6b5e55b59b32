// `svgen bench generate`: seconds per DiT forward pass at real Wan 2.1 sizes (random weights: no
// checkpoint is needed), dense and each sparse method measured in the same run, and the clip-time
// estimate for a whole sampling run with the default dense warm-up. No Qt.
#pragma once
#include "core/attention/method_registry.h"

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

namespace svgen {

struct GenerateBenchOptions {
  // "wan-1.3b", "wan-14b", "wan2.1-i2v-14b", "wan2.2-t2v-a14b", "wan2.2-i2v-a14b",
  // "wan2.2-ti2v-5b" or "hunyuan-13b"
  std::string config = "wan-1.3b";
  int frames = 81;                 // video frames (4k+1); latent frames = (frames − 1)/4 + 1
  int width = 1280, height = 720;  // pixels; the latent is 8x smaller
  int steps = 3;                   // timed forward passes per method
  int clipSteps = 50;              // sampling steps of the estimated clip (×2 passes for CFG)
  std::vector<std::string> methods = attentionMethodIds();
  AttentionConfig attention;  // clusters, block size, warm-up (in the estimate only)
  // Random weights attend almost uniformly, so a top-p budget would keep most clusters: every
  // method runs at this fixed fraction of key blocks instead (SVG: its density; SVG2: that share
  // of key clusters per query cluster; SVOO: that share of the keys), unless useTopP.
  double density = 0.25;
  // SVG2: attention.topP (and minKeyClusterRatio) instead; SVOO: with `structured`, a profile of
  // the key fractions measured on the structured heads, else the fixed share.
  bool useTopP = false;
  std::string device = "cuda";
  uint64_t seed = 3;
  // Also time each attention phase (each ends with a device sync, which slows the pass a little).
  bool phases = false;
  // Time the step as `svgen generate` runs it with guidance: the prompt and the negative prompt
  // as one batch of 2 (one forward pass of batch 2 a step) instead of one pass of batch 1.
  bool cfg = false;
  // How the DiT holds its matrices: "native" (the compute dtype: bf16 on CUDA, fp32 on the CPU),
  // or packed as the downloaded files store them and unpacked at each use, "fp8" (ComfyUI's
  // scaled E4M3) or "q8_0" (GGUF).
  std::string weights = "native";
  // Heads that attend like a trained model's (core/model/structured_attention.h), so SVG2 and
  // SVOO can be timed at their own budget rules; the report then carries what the heads do.
  bool structured = false;
  // The DiT's blocks in host memory, streamed in one block ahead (block swap), after a resident
  // dense run that measures what streaming costs.
  bool streamBlocks = false;
};

struct GenerateBenchRow {
  std::string method;
  double firstSeconds = 0;      // the first pass (SVG2/SVOO cluster from scratch there)
  double medianSeconds = 0;     // of the later passes (with cfg: batched steps)
  double attentionDensity = 1;  // over the sparse calls
  double speedup = 1;           // dense median / this median
  double clipSeconds = 0;       // estimate: warm-up passes dense, the rest at this median
  double clipSpeedup = 1;
  double peakMemoryGiB = 0;
  std::map<std::string, double> phaseMs;  // per pass, summed over the layers (with --phases)
};

// One layer of the structured weights as designed and as measured on the bench's input.
struct StructureRow {
  int layer = 0;
  int spatial = 0, temporal = 0, content = 0;  // heads designed so
  double targetFraction = 0;                   // mean over heads, of the grid's centre query
  double keyFraction = 0, minKeyFraction = 0, maxKeyFraction = 0;  // measured, 95% mass
  int svgTemporal = 0;  // heads SVG's profiler calls temporal
};

struct GenerateBenchReport {
  std::string device, gpu, config;
  int64_t tokens = 0;
  int latentFrames = 0, latentHeight = 0, latentWidth = 0;
  double warmupFraction = 0;
  int clipSteps = 0;
  bool cfg = false;  // rows time batched CFG steps, not passes
  // Network passes a sampling step in the clip estimate: 2 for CFG as two passes, 1 for a
  // batched CFG step or a model that embeds its guidance (HunyuanVideo).
  double passesPerStep = 2;
  int64_t textTokens = 0;  // joined to the video's in attention (HunyuanVideo), else 0
  std::string weights = "native";
  bool streamBlocks = false;
  double weightGiB = 0;  // what the DiT's parameters take on the device, packed ones as packed
  std::vector<GenerateBenchRow> rows;
  std::vector<StructureRow> structure;  // with options.structured
};

GenerateBenchReport runGenerateBench(const GenerateBenchOptions& options,
                                     const std::function<void(const std::string&)>& progress = {},
                                     const std::function<bool()>& cancelled = {});
std::string generateBenchTable(const GenerateBenchReport& report);
// The structure rows as a table (empty without them).
std::string structureTable(const GenerateBenchReport& report);

}  // namespace svgen
