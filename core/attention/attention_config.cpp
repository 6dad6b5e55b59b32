#include "core/attention/attention_config.h"

#include <algorithm>
#include <cmath>
#include <sstream>

namespace svgen {

const std::vector<std::string>& attentionMethods() {
  static const std::vector<std::string> methods = {"dense", "svg", "svg2", "svoo"};
  return methods;
}

std::vector<std::string> attentionConfigProblems(const AttentionConfig& c) {
  std::vector<std::string> p;
  const auto& m = attentionMethods();
  if (std::find(m.begin(), m.end(), c.method) == m.end())
    p.push_back("attention method \"" + c.method + "\" is unknown: use dense, svg, svg2 or svoo");
  if (!(c.warmupFraction >= 0 && c.warmupFraction <= 1))
    p.push_back("warm-up fraction must be between 0 and 1");
  if (c.warmupLayers < 0) p.push_back("warm-up layers must be 0 or more");
  if (!(c.svgDensity > 0 && c.svgDensity <= 1)) p.push_back("SVG density must be in (0, 1]");
  if (c.svgBlock < 16 || c.svgBlock > 4096) p.push_back("SVG block size must be 16 to 4096");
  if (!(c.topP > 0 && c.topP <= 1)) p.push_back("top-p must be in (0, 1]");
  if (c.queryClusters < 0 || c.queryClusters > 4096)
    p.push_back("query clusters must be 0 (auto) to 4096");
  if (c.keyClusters < 0 || c.keyClusters > 8192)
    p.push_back("key clusters must be 0 (auto) to 8192");
  if (!(c.minKeyClusterRatio >= 0 && c.minKeyClusterRatio <= 1))
    p.push_back("minimum key-cluster ratio must be between 0 and 1");
  if (c.kmeansIterations < 1 || c.kmeansIterations > 1000)
    p.push_back("k-means iterations must be 1 to 1000");
  if (c.kmeansWarmIterations < 0 || c.kmeansWarmIterations > 1000)
    p.push_back("warm k-means iterations must be 0 to 1000");
  if (c.coclusterIterations < 1 || c.coclusterIterations > 100)
    p.push_back("co-clustering iterations must be 1 to 100");
  return p;
}

int resolvedQueryClusters(const AttentionConfig& c, int64_t tokens) {
  const int64_t n =
      c.queryClusters > 0 ? c.queryClusters : std::clamp<int64_t>(tokens / 256, 2, 300);
  return static_cast<int>(std::max<int64_t>(1, std::min<int64_t>(n, tokens)));
}

int resolvedKeyClusters(const AttentionConfig& c, int64_t tokens) {
  const int64_t n = c.keyClusters > 0 ? c.keyClusters : std::clamp<int64_t>(tokens / 64, 4, 1000);
  return static_cast<int>(std::max<int64_t>(1, std::min<int64_t>(n, tokens)));
}

}  // namespace svgen
