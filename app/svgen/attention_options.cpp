#include "app/svgen/attention_options.h"

#include "core/attention/method_registry.h"

#include <cstdio>
#include <map>
#include <memory>

namespace svgen::cli {

std::string optionNumber(double v) {
  char s[32];
  std::snprintf(s, sizeof s, "%g", v);
  return s;
}

void addAttentionOptions(CLI::App* cmd, AttentionConfig& a, const AttentionOptionSet& set) {
  const char* group = "Sparse attention";
  // Values land here while parsing and reach `a` once the command line is complete, so the
  // order of --preset and the flags on the command line does not matter.
  struct Given {
    std::string preset;
    std::map<const ParameterSpec*, double> numbers;
    std::map<const ParameterSpec*, std::string> texts;
  };
  auto given = std::make_shared<Given>();
  if (set.withMethod) {
    cmd->add_option("-a,--attention", a.method, "Self-attention method: " + attentionMethodList())
        ->capture_default_str()
        ->group(group);
  }
  std::vector<std::string> ids;
  std::string idList;
  for (Preset p : kPresets) {
    ids.push_back(presetId(p));
    idList += (idList.empty() ? "" : ", ") + ids.back();
  }
  cmd->add_option("--preset", given->preset,
                  "Budgets of every sparse method: " + idList +
                      " (measured on the built-in model, docs/benchmarks.md); options given "
                      "beside it win")
      ->check(CLI::IsMember(ids))
      ->group(group);
  for (const ParameterSpec* spec : attentionParameters()) {
    if (set.skip.count(spec->key)) continue;
    const std::string flag = "--" + spec->flag;
    CLI::Option* option = nullptr;
    switch (spec->kind) {
      case ParameterKind::Path:
        option = cmd->add_option_function<std::string>(
            flag, [given, spec](const std::string& v) { given->texts[spec] = v; }, spec->help);
        break;
      case ParameterKind::Count:
        option = cmd->add_option_function<int>(
            flag, [given, spec](const int& v) { given->numbers[spec] = v; }, spec->help);
        option->default_str(optionNumber(a.number(*spec)));
        break;
      case ParameterKind::Real:
        option = cmd->add_option_function<double>(
            flag, [given, spec](const double& v) { given->numbers[spec] = v; }, spec->help);
        option->default_str(optionNumber(a.number(*spec)));
        break;
    }
    option->group(group);
  }
  cmd->parse_complete_callback([&a, given] {
    if (!given->preset.empty()) a = withPreset(a, *presetFromId(given->preset));
    for (const auto& [spec, v] : given->numbers) a.setNumber(*spec, v);
    for (const auto& [spec, v] : given->texts) a.setText(*spec, v);
  });
}

}  // namespace svgen::cli
