#include "core/attention/clustering/cluster_parameters.h"

#include <algorithm>

namespace svgen::clustering {

// docs/benchmarks.md: top-p 0.8 with 32 × 256 clusters (what auto picks on the built-in model's
// 2,048 tokens) → SVG2 27 dB, SVOO 32 dB PSNR against dense; 0.7 with 16 × 128 → 23 / 29 dB (first
// 20% of steps dense). The default is the Balanced preset, so the CLI and the studio start alike.
const ParameterSpec& topPSpec() {
  static const ParameterSpec s =
      ParameterSpec::real(topP.key, 0, 1, 0.8)
          .named("topP", "top-p", "Top-p", "top-p")
          .explained(
              "SVG2/SVOO: each query cluster keeps the key clusters holding this share of "
              "its attention mass")
          .shownIn("cluster", "Cluster budget", 0.05, 2)
          .withPresets(0.9, 0.8, 0.7)
          .openBelow(0.05);
  return s;
}

namespace {

// A cluster count whose 0 means "auto" (resolvedQueryClusters, resolvedKeyClusters).
ParameterSpec clusterCount(const char* key, const char* name, const char* flag, const char* label,
                           const char* noun, const char* help, int max) {
  return ParameterSpec::count(key, 0, max, 0, "clusters")
      .named(name, flag, label, noun)
      .explained(help)
      .shownIn("cluster", "Cluster budget")
      .automaticAtZero();
}

}  // namespace

const ParameterSpec& queryClustersSpec() {
  static const ParameterSpec s = clusterCount(
      queryClusters.key, "queryClusters", "query-clusters", "Query clusters", "query clusters",
      "SVG2/SVOO: query clusters (0: auto, 32 or about 256 tokens each, at most 300)", 4096);
  return s;
}

const ParameterSpec& keyClustersSpec() {
  static const ParameterSpec s = clusterCount(
      keyClusters.key, "keyClusters", "key-clusters", "Key clusters", "key clusters",
      "SVG2/SVOO: key clusters (0: auto, 256 or about 64 tokens each, at most 1,000)", 8192);
  return s;
}

int resolvedQueryClusters(const AttentionConfig& c, int64_t tokens) {
  const int set = c.get(queryClusters);
  const int64_t n =
      set > 0 ? set
              : std::clamp<int64_t>(
                    std::max<int64_t>(tokens / 256, std::min<int64_t>(32, tokens / 64)), 2, 300);
  return static_cast<int>(std::max<int64_t>(1, std::min<int64_t>(n, tokens)));
}

int resolvedKeyClusters(const AttentionConfig& c, int64_t tokens) {
  const int set = c.get(keyClusters);
  const int64_t n =
      set > 0 ? set
              : std::clamp<int64_t>(
                    std::max<int64_t>(tokens / 64, std::min<int64_t>(256, tokens / 8)), 4, 1000);
  return static_cast<int>(std::max<int64_t>(1, std::min<int64_t>(n, tokens)));
}

}  // namespace svgen::clustering
