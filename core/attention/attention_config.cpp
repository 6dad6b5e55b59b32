#include "core/attention/attention_config.h"

#include "core/attention/method_registry.h"
#include "core/attention/warmup.h"

#include <cmath>

namespace svgen {

double AttentionConfig::get(RealParameter p) const {
  const auto it = numbers_.find(p.key);
  return it != numbers_.end() ? it->second : attentionParameter(p.key).defaultValue;
}

int AttentionConfig::get(CountParameter p) const {
  const auto it = numbers_.find(p.key);
  return static_cast<int>(it != numbers_.end() ? it->second
                                               : attentionParameter(p.key).defaultValue);
}

std::string AttentionConfig::get(PathParameter p) const {
  const auto it = texts_.find(p.key);
  return it != texts_.end() ? it->second : std::string();
}

double AttentionConfig::number(const ParameterSpec& spec) const {
  const auto it = numbers_.find(spec.key);
  return it != numbers_.end() ? it->second : spec.defaultValue;
}

void AttentionConfig::setNumber(const ParameterSpec& spec, double value) {
  numbers_[spec.key] = spec.kind == ParameterKind::Count ? std::trunc(value) : value;
}

std::string AttentionConfig::text(const ParameterSpec& spec) const {
  const auto it = texts_.find(spec.key);
  return it != texts_.end() ? it->second : std::string();
}

void AttentionConfig::setText(const ParameterSpec& spec, std::string value) {
  texts_[spec.key] = std::move(value);
}

bool AttentionConfig::operator==(const AttentionConfig& other) const {
  if (method != other.method) return false;
  for (const ParameterSpec* spec : attentionParameters()) {
    if (spec->kind == ParameterKind::Path ? text(*spec) != other.text(*spec)
                                          : number(*spec) != other.number(*spec))
      return false;
  }
  return true;
}

std::vector<std::string> attentionConfigProblems(const AttentionConfig& c) {
  std::vector<std::string> p;
  if (!findAttentionMethod(c.method))
    p.push_back("attention method \"" + c.method + "\" is unknown: use " + attentionMethodList());
  for (const ParameterSpec* spec : attentionParameters()) {
    if (spec->kind == ParameterKind::Path) continue;
    const std::string problem = spec->problem(c.number(*spec));
    if (!problem.empty()) p.push_back(problem);
  }
  return p;
}

AttentionConfig attentionConfigFor(const std::string& method) {
  AttentionConfig c;
  c.method = method;
  return c;
}

AttentionConfig withPreset(const AttentionConfig& base, Preset preset) {
  AttentionConfig c = base;
  for (const ParameterSpec* spec : attentionParameters())
    if (!spec->presets.empty()) c.setNumber(*spec, spec->presetValue(preset));
  return c;
}

std::optional<Preset> matchingPreset(const AttentionConfig& config) {
  const MethodDescriptor* method = findAttentionMethod(config.method);
  if (!method || !method->sparse) return std::nullopt;
  std::vector<const ParameterSpec*> read = warmup::parameters();
  read.insert(read.end(), method->parameters.begin(), method->parameters.end());
  for (Preset preset : kPresets) {
    bool all = true;
    for (const ParameterSpec* spec : read)
      if (!spec->presets.empty() &&
          std::abs(config.number(*spec) - spec->presetValue(preset)) >= 1e-6)
        all = false;
    if (all) return preset;
  }
  return std::nullopt;
}

}  // namespace svgen
