// One tunable setting of an attention method, described once: the CLI option, the JSON key, the
// studio's form field, the range check and the presets are all made from this description.
#pragma once
#include <optional>
#include <string>
#include <vector>

namespace svgen {

enum class ParameterKind {
  Real,   // a fraction or other real number
  Count,  // a whole number (clusters, iterations, tokens)
  Path,   // a file
};

// Named budgets measured on the built-in model (docs/benchmarks.md). The CLI's --preset, the
// studio's preset box and their order come from this list.
enum class Preset { Quality, Balanced, Fast };
constexpr Preset kPresets[] = {Preset::Quality, Preset::Balanced, Preset::Fast};
const char* presetId(Preset p);     // "quality"
const char* presetLabel(Preset p);  // "Quality"
std::optional<Preset> presetFromId(const std::string& id);

struct ParameterSpec {
  std::string key;    // JSON key and studio settings key: "svg_density"
  std::string name;   // widget object name: "svgDensity"
  std::string flag;   // CLI long option without dashes: "density"
  std::string label;  // the form's label: "Density"
  std::string help;   // one line for --help and the tool tip
  std::string noun;   // names it in messages: "SVG density"
  ParameterKind kind = ParameterKind::Real;
  double min = 0, max = 1;
  bool minOpen = false;  // the range is (min, max] rather than [min, max]
  double defaultValue = 0;
  std::string unit;             // shown after the value: "tokens", "iterations"; "" for fractions
  std::string zeroText;         // what 0 stands for ("auto"); empty when 0 is an ordinary value
  std::vector<double> presets;  // one value per kPresets entry; empty: presets leave it alone
  // How the studio's form edits it: the group box it sits in, step, decimals, and the widget's
  // bounds where they are narrower than the valid range (an open minimum, a sane maximum).
  std::string group;       // "svg": the box's object name is "svgGroup"
  std::string groupTitle;  // "SVG budget"
  double step = 1;
  int decimals = 0;
  std::optional<double> formMin, formMax;
  std::string fileName;  // Path: the file looked for next to the model when none is given
  bool inForm = true;    // false: CLI and JSON only

  // Builders, so that a method describes a parameter in a few lines.
  static ParameterSpec real(const char* key, double min, double max, double defaultValue);
  static ParameterSpec count(const char* key, double min, double max, double defaultValue,
                             const char* unit);
  static ParameterSpec path(const char* key, const char* fileName);
  ParameterSpec& named(const char* name, const char* flag, const char* label, const char* noun);
  ParameterSpec& explained(const char* help);
  ParameterSpec& shownIn(const char* group, const char* title, double step = 1, int decimals = 0);
  ParameterSpec& withPresets(double quality, double balanced, double fast);
  ParameterSpec& automaticAtZero();  // 0 means "auto": chosen from the token count
  // (min, max]: the minimum itself is refused; the form starts at `formMinimum`.
  ParameterSpec& openBelow(double formMinimum);

  // The sentence that says why `value` is out of range, or "" when it is fine.
  std::string problem(double value) const;
  std::string rangeText() const;
  std::string labelInText() const;  // the label inside a sentence: "density", "top-p"  // "(0, 1]",
                                    // "16 to 4096", "0 (auto) to 4096"
  double presetValue(Preset p) const { return presets.at(static_cast<size_t>(p)); }
};

// Typed handles by which code reads and writes a value (AttentionConfig::get/set). They hold only
// the key, so they can be constants in the header of the method that owns the setting.
struct RealParameter {
  const char* key;
};
struct CountParameter {
  const char* key;
};
struct PathParameter {
  const char* key;
};

}  // namespace svgen
