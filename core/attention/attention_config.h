// The sparse attention settings of a run: plain data that round-trips through JSON and travels
// inside exported MP4s.
#pragma once
#include <string>

namespace svgen {

struct AttentionConfig {
  std::string method = "dense";  // "dense", "svg", "svg2" or "svoo"
  // Dense warm-up: the first steps (as a fraction of all steps) and the first layers run dense.
  double warmupFraction = 0.2;
  int warmupLayers = 0;
  // SVG: target fraction of key blocks kept.
  double svgDensity = 0.25;
  // SVG2: clusters, top-p of the centroid mass, minimum key-cluster ratio, k-means iterations.
  double topP = 0.9;
  int queryClusters = 100;
  int keyClusters = 500;
  double minKeyClusterRatio = 0.1;
  int kmeansIterations = 50;
  int kmeansWarmIterations = 2;
  // SVOO: per-layer budget table written by `svgen profile`; empty: next to the model.
  std::string svooProfile;
};

}  // namespace svgen
