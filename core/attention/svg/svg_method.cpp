#include "core/attention/svg/svg_method.h"

#include "core/attention/method_registry.h"
#include "core/attention/svg/svg_attention.h"
#include "core/attention/svg/svg_masks.h"

#include <cstdio>

namespace svgen::svg {

const MethodDescriptor& method() {
  // docs/benchmarks.md (six-prompt sweep on the built-in model, first 20% of steps dense): density
  // 0.4 / 0.3 / 0.2 → 32 / 27 / 23 dB PSNR against dense. The default is the Balanced preset.
  static const ParameterSpec densityParameter =
      ParameterSpec::real(density.key, 0, 1, 0.3)
          .named("svgDensity", "density", "Density", "SVG density")
          .explained("SVG: target share of key blocks each query block keeps")
          .shownIn("svg", "SVG budget", 0.05, 2)
          .withPresets(0.4, 0.3, 0.2)
          .openBelow(0.01);
  // 128 in SVG (FlexAttention); 64 is the CPU kernel's tile and bands finer.
  static const ParameterSpec blockParameter =
      ParameterSpec::count(block.key, 16, 4096, 64, "tokens")
          .named("svgBlock", "svg-block", "Block size", "SVG block size")
          .explained("SVG: tokens per mask block; smaller blocks fit the band more finely")
          .shownIn("svg", "SVG budget", 16)
          .withPresets(64, 64, 64);
  // Heads keep their class over neighbouring steps (SVG's observation), so profiling can skip
  // steps; 1 profiles every step, as the paper does. docs/benchmarks.md (built-in model, three
  // prompts): every 2nd or 5th step keeps PSNR within ±0.36 dB of every step and lifts SVG's
  // attention speed-up on the CPU from 1.5–1.7x to 1.9–2.1x.
  static const ParameterSpec profileEveryParameter =
      ParameterSpec::count(profileEvery.key, 1, 50, 5, "steps")
          .named("svgProfileEvery", "svg-profile-every", "Profile every", "SVG profiling interval")
          .explained(
              "SVG: classify each layer's heads on every k-th sparse step only; the steps "
              "between reuse the last classes")
          .shownIn("svg", "SVG budget", 1);
  static const MethodDescriptor d = [] {
    MethodDescriptor m = MethodDescriptor::named(
        "svg", "SVG", "Sparse VideoGen: each head keeps a spatial or a temporal band of blocks",
        10);
    m.parameters = {&densityParameter, &blockParameter, &profileEveryParameter};
    m.budget = &densityParameter;
    m.budgetLabel = [](const AttentionConfig& c) {
      char s[32];
      std::snprintf(s, sizeof s, "density %.0f%%", 100 * c.get(density));
      return std::string(s);
    };
    m.makeAtFraction = [](AttentionConfig c, double fraction) {
      c.set(density, fraction);
      return std::make_unique<SvgAttention>(c);
    };
    m.sweepFlag = "densities";
    m.sweepHelp = "SVG: target densities (comma-separated)";
    m.sweep = {0.1, 0.2, 0.3, 0.5};
    m.sweepParameter = &densityParameter;
    m.make = [](const AttentionConfig& c, const std::string&) {
      return std::make_unique<SvgAttention>(c);
    };
    m.estimateDensity = [](const AttentionConfig& c, const std::array<int64_t, 3>& grid) {
      return svgMaskDensity(grid, c.get(block), c.get(density));
    };
    return m;
  }();
  return d;
}

}  // namespace svgen::svg
