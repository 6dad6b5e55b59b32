// The sparse attention settings of a run: the method's id and the values of its parameters, plain
// data that round-trips through JSON and travels inside exported MP4s. What each parameter means,
// its range and default live with the method that owns it (core/attention/<method>/).
#pragma once
#include "core/attention/parameter.h"

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace svgen {

struct AttentionConfig {
  std::string method = "dense";

  // A parameter that was never set reads its default.
  double get(RealParameter p) const;
  int get(CountParameter p) const;
  std::string get(PathParameter p) const;
  void set(RealParameter p, double value) { numbers_[p.key] = value; }
  void set(CountParameter p, int value) { numbers_[p.key] = value; }
  void set(PathParameter p, std::string value) { texts_[p.key] = std::move(value); }

  // The same by description, for code that walks the registry (CLI, JSON, the studio's form).
  double number(const ParameterSpec& spec) const;
  void setNumber(const ParameterSpec& spec, double value);
  std::string text(const ParameterSpec& spec) const;
  void setText(const ParameterSpec& spec, std::string value);

  // Same method and the same value for every parameter (defaults included).
  bool operator==(const AttentionConfig& other) const;
  bool operator!=(const AttentionConfig& other) const { return !(*this == other); }

 private:
  std::map<std::string, double> numbers_;
  std::map<std::string, std::string> texts_;
};

// Problems with the settings, each a sentence naming the setting and its valid range; empty when
// the settings can run.
std::vector<std::string> attentionConfigProblems(const AttentionConfig& c);

// The registry's defaults for `method`, with a preset's budgets when one is named.
AttentionConfig attentionConfigFor(const std::string& method);

// `base` with every budget a preset sets (the method, the SVOO profile and whatever presets leave
// alone are kept).
AttentionConfig withPreset(const AttentionConfig& base, Preset preset);

// The preset whose values the parameters `base.method` reads (warm-up included) all match, if any.
std::optional<Preset> matchingPreset(const AttentionConfig& config);

}  // namespace svgen
