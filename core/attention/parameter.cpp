#include "core/attention/parameter.h"

#include <cctype>
#include <cmath>
#include <cstdio>

namespace svgen {

const char* presetId(Preset p) {
  switch (p) {
    case Preset::Quality:
      return "quality";
    case Preset::Balanced:
      return "balanced";
    case Preset::Fast:
      return "fast";
  }
  return "";
}

const char* presetLabel(Preset p) {
  switch (p) {
    case Preset::Quality:
      return "Quality";
    case Preset::Balanced:
      return "Balanced";
    case Preset::Fast:
      return "Fast";
  }
  return "";
}

std::optional<Preset> presetFromId(const std::string& id) {
  for (Preset p : kPresets)
    if (id == presetId(p)) return p;
  return std::nullopt;
}

namespace {

std::string number(double v) {
  char s[32];
  std::snprintf(s, sizeof s, "%g", v);
  return s;
}

// Counts up to this are "N or more" in messages: the bound is a guard, not a setting.
constexpr double kUnbounded = 1e9;

}  // namespace

ParameterSpec ParameterSpec::real(const char* key, double min, double max, double defaultValue) {
  ParameterSpec s;
  s.key = key;
  s.min = min;
  s.max = max;
  s.defaultValue = defaultValue;
  return s;
}

ParameterSpec ParameterSpec::count(const char* key, double min, double max, double defaultValue,
                                   const char* unit) {
  ParameterSpec s = real(key, min, max, defaultValue);
  s.kind = ParameterKind::Count;
  s.unit = unit;
  return s;
}

ParameterSpec ParameterSpec::path(const char* key, const char* fileName) {
  ParameterSpec s = real(key, 0, 0, 0);
  s.kind = ParameterKind::Path;
  s.fileName = fileName;
  return s;
}

ParameterSpec& ParameterSpec::named(const char* name_, const char* flag_, const char* label_,
                                    const char* noun_) {
  name = name_;
  flag = flag_;
  label = label_;
  noun = noun_;
  return *this;
}

ParameterSpec& ParameterSpec::explained(const char* help_) {
  help = help_;
  return *this;
}

ParameterSpec& ParameterSpec::shownIn(const char* group_, const char* title, double step_,
                                      int decimals_) {
  group = group_;
  groupTitle = title;
  step = step_;
  decimals = decimals_;
  return *this;
}

ParameterSpec& ParameterSpec::withPresets(double quality, double balanced, double fast) {
  presets = {quality, balanced, fast};
  return *this;
}

ParameterSpec& ParameterSpec::automaticAtZero() {
  zeroText = "auto";
  return *this;
}

ParameterSpec& ParameterSpec::openBelow(double formMinimum) {
  minOpen = true;
  formMin = formMinimum;
  return *this;
}

std::string ParameterSpec::labelInText() const {
  std::string s = label;
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::string ParameterSpec::rangeText() const {
  if (kind == ParameterKind::Path) return "a file";
  if (kind == ParameterKind::Count) {
    if (max >= kUnbounded) return number(min) + " or more";
    const std::string low = zeroText.empty() || min != 0 ? number(min) : "0 (" + zeroText + ")";
    return low + " to " + number(max);
  }
  if (minOpen) return "in (" + number(min) + ", " + number(max) + "]";
  return "between " + number(min) + " and " + number(max);
}

std::string ParameterSpec::problem(double value) const {
  if (kind == ParameterKind::Path) return "";
  const bool aboveMin = minOpen ? value > min : value >= min;
  if (aboveMin && value <= max && (kind != ParameterKind::Count || value == std::floor(value)))
    return "";
  return noun + " must be " + rangeText();
}

}  // namespace svgen
