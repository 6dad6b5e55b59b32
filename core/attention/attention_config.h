// The sparse attention settings of a run: plain data that round-trips through JSON and travels
// inside exported MP4s.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace svgen {

struct AttentionConfig {
  std::string method = "dense";  // "dense", "svg", "svg2" or "svoo"
  // Dense warm-up: the first steps (as a fraction of all steps) and the first layers run dense.
  double warmupFraction = 0.2;
  int warmupLayers = 0;
  // SVG: target fraction of key blocks kept, and the block size of its masks.
  double svgDensity = 0.25;
  int svgBlock = 64;  // 128 in SVG (FlexAttention); 64 is the CPU kernel's tile and bands finer
  // SVG2: clusters (0: chosen from the token count), top-p of the centroid mass, minimum
  // key-cluster ratio, k-means iterations from scratch and warm-started from the previous step.
  double topP = 0.9;
  int queryClusters = 0;
  int keyClusters = 0;
  double minKeyClusterRatio = 0.1;
  int kmeansIterations = 50;
  int kmeansWarmIterations = 2;
  // SVOO: per-layer budget table written by `svgen profile`; empty: the one next to the model.
  std::string svooProfile;
  int coclusterIterations = 2;
};

// The method names in the order the CLI and studio list them.
const std::vector<std::string>& attentionMethods();

// Problems with the settings, each a sentence naming the setting and its valid range; empty when
// the settings can run.
std::vector<std::string> attentionConfigProblems(const AttentionConfig& c);

// Cluster counts used at `tokens` tokens when the config leaves them 0: about 256 tokens per query
// cluster and 64 per key cluster (Wan 480p → ~128 / 512, 720p → 300 / 1000 as in SVG2's code).
int resolvedQueryClusters(const AttentionConfig& c, int64_t tokens);
int resolvedKeyClusters(const AttentionConfig& c, int64_t tokens);

}  // namespace svgen
