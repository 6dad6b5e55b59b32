#include "app/svgen/attention_options.h"

namespace svgen::cli {

void addAttentionOptions(CLI::App* cmd, AttentionConfig& a, bool withMethod) {
  const char* group = "Sparse attention";
  if (withMethod)
    cmd->add_option("-a,--attention", a.method, "Self-attention method: dense, svg, svg2 or svoo")
        ->capture_default_str()
        ->group(group);
  cmd->add_option("--warmup", a.warmupFraction, "Fraction of the first steps that run dense")
      ->capture_default_str()
      ->group(group);
  cmd->add_option("--warmup-layers", a.warmupLayers, "First layers that always run dense")
      ->capture_default_str()
      ->group(group);
  cmd->add_option("--density", a.svgDensity, "SVG: fraction of key blocks kept")
      ->capture_default_str()
      ->group(group);
  cmd->add_option("--svg-block", a.svgBlock, "SVG: block size in tokens")
      ->capture_default_str()
      ->group(group);
  cmd->add_option("--top-p", a.topP, "SVG2/SVOO: centroid attention mass to keep")
      ->capture_default_str()
      ->group(group);
  cmd->add_option("--query-clusters", a.queryClusters, "SVG2/SVOO: query clusters (0: auto)")
      ->capture_default_str()
      ->group(group);
  cmd->add_option("--key-clusters", a.keyClusters, "SVG2/SVOO: key clusters (0: auto)")
      ->capture_default_str()
      ->group(group);
  cmd->add_option("--min-key-ratio", a.minKeyClusterRatio,
                  "SVG2: least fraction of key clusters each query cluster keeps")
      ->capture_default_str()
      ->group(group);
  cmd->add_option("--kmeans-iters", a.kmeansIterations,
                  "SVG2/SVOO: k-means iterations from scratch")
      ->capture_default_str()
      ->group(group);
  cmd->add_option("--kmeans-warm-iters", a.kmeansWarmIterations,
                  "SVG2/SVOO: iterations when warm-started from the previous step")
      ->capture_default_str()
      ->group(group);
  cmd->add_option("--svoo-profile", a.svooProfile,
                  "SVOO: per-layer budget table from `svgen profile` (default: next to the model)")
      ->group(group);
}

}  // namespace svgen::cli
