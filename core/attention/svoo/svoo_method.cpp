#include "core/attention/svoo/svoo_method.h"

#include "core/attention/clustering/cluster_parameters.h"
#include "core/attention/method_registry.h"
#include "core/attention/svoo/svoo_attention.h"

namespace svgen::svoo {

const MethodDescriptor& method() {
  static const ParameterSpec profileSpec =
      ParameterSpec::path(profile.key, "svoo_profile.json")
          .named("svooProfile", "svoo-profile", "Profile", "SVOO profile")
          .explained(
              "SVOO: per-layer budget table from `svgen profile` (default: next to the "
              "model)")
          .shownIn("svoo", "SVOO");
  static const ParameterSpec iterationsSpec =
      ParameterSpec::count(coclusterIterations.key, 1, 100, 2, "iterations")
          .named("coclusterIterations", "cocluster-iters", "Co-clustering rounds",
                 "co-clustering iterations")
          .explained(
              "SVOO: rounds of assigning keys to query centroids and queries to key "
              "centroids")
          .shownIn("svoo", "SVOO");
  static const MethodDescriptor d = [] {
    MethodDescriptor m = MethodDescriptor::named(
        "svoo", "SVOO",
        "SVOO: co-clustered queries and keys with a per-layer budget profiled offline", 30);
    m.parameters = {&clustering::topPSpec(), &clustering::queryClustersSpec(),
                    &clustering::keyClustersSpec(), &profileSpec, &iterationsSpec};
    m.budget = &clustering::topPSpec();
    m.supports.needsProfile = true;
    m.budgetLabel = [](const AttentionConfig&) { return std::string("profile table"); };
    m.makeAtFraction = [](AttentionConfig c, double fraction) {
      SvooProfile uniform;
      uniform.keyFraction = {fraction};  // every layer
      return std::make_unique<SvooAttention>(c, uniform);
    };
    m.makeWithLayerFractions = [](AttentionConfig c, std::vector<double> fractions) {
      SvooProfile measured;
      measured.keyFraction = std::move(fractions);
      return std::make_unique<SvooAttention>(c, measured);
    };
    m.sweepFlag = "key-fractions";
    m.sweepHelp = "SVOO: per-layer key fractions of the in-memory profile (comma-separated)";
    m.sweep = {0.1, 0.2, 0.3};
    m.make = [](const AttentionConfig& c, const std::string& modelDir) {
      return std::make_unique<SvooAttention>(c, loadSvooProfile(c, modelDir));
    };
    return m;
  }();
  return d;
}

}  // namespace svgen::svoo
