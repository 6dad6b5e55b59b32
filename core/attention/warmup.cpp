#include "core/attention/warmup.h"

namespace svgen::warmup {

const std::vector<const ParameterSpec*>& parameters() {
  static const ParameterSpec fractionSpec =
      ParameterSpec::real(fraction.key, 0, 1, 0.2)
          .named("warmupFraction", "warmup", "Share of steps", "warm-up fraction")
          .explained("Fraction of the first steps that run dense")
          .shownIn("warmup", "Dense warm-up", 0.05, 2)
          .withPresets(0.2, 0.2, 0.2);
  static const ParameterSpec layersSpec = [] {
    ParameterSpec s = ParameterSpec::count(layers.key, 0, 1e9, 0, "layers")
                          .named("warmupLayers", "warmup-layers", "Layers", "warm-up layers")
                          .explained("First transformer layers that run dense on every step")
                          .shownIn("warmup", "Dense warm-up")
                          .withPresets(0, 0, 0);
    s.formMax = 64;
    return s;
  }();
  static const std::vector<const ParameterSpec*> all = {&fractionSpec, &layersSpec};
  return all;
}

}  // namespace svgen::warmup
