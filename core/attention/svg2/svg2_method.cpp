#include "core/attention/svg2/svg2_method.h"

#include "core/attention/clustering/cluster_parameters.h"
#include "core/attention/method_registry.h"
#include "core/attention/svg2/svg2_attention.h"

namespace svgen::svg2 {

const MethodDescriptor& method() {
  static const ParameterSpec ratio =
      ParameterSpec::real(minKeyClusterRatio.key, 0, 1, 0.1)
          .named("minKeyClusterRatio", "min-key-ratio", "Min key clusters",
                 "minimum key-cluster ratio")
          .explained("SVG2: least share of the key clusters each query cluster keeps")
          .shownIn("cluster", "Cluster budget", 0.05, 2)
          .withPresets(0.1, 0.1, 0.1);
  static const ParameterSpec iterations =
      ParameterSpec::count(kmeansIterations.key, 1, 1000, 50, "iterations")
          .named("kmeansIterations", "kmeans-iters", "k-means iterations", "k-means iterations")
          .explained("SVG2: k-means iterations on the first sparse step (from scratch)")
          .shownIn("cluster", "Cluster budget")
          .withPresets(50, 50, 50);
  static const ParameterSpec warmIterations =
      ParameterSpec::count(kmeansWarmIterations.key, 0, 1000, 2, "iterations")
          .named("kmeansWarmIterations", "kmeans-warm-iters", "Warm iterations",
                 "warm k-means iterations")
          .explained(
              "SVG2: k-means iterations on later steps, starting from the previous "
              "step's centroids")
          .shownIn("cluster", "Cluster budget")
          .withPresets(2, 2, 2);
  static const MethodDescriptor d = [] {
    MethodDescriptor m = MethodDescriptor::named(
        "svg2", "SVG2",
        "SVG2: k-means clusters of queries and keys, the clusters holding top-p of the mass", 20);
    m.parameters = {&clustering::topPSpec(),
                    &clustering::queryClustersSpec(),
                    &clustering::keyClustersSpec(),
                    &ratio,
                    &iterations,
                    &warmIterations};
    m.budget = &clustering::topPSpec();
    m.makeAtFraction = [](AttentionConfig c, double fraction) {
      c.set(minKeyClusterRatio, fraction);
      return std::make_unique<Svg2Attention>(c);
    };
    m.sweepFlag = "top-p";
    m.sweepHelp = "SVG2: top-p values (comma-separated)";
    m.sweep = {0.5, 0.7, 0.9};
    m.sweepParameter = &clustering::topPSpec();
    m.make = [](const AttentionConfig& c, const std::string&) {
      return std::make_unique<Svg2Attention>(c);
    };
    return m;
  }();
  return d;
}

}  // namespace svgen::svg2
