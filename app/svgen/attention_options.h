// The sparse-attention options of generate, compare, profile and bench, made from the method
// registry: one option per registered parameter, plus --attention and --preset.
#pragma once
#include "core/attention/attention_config.h"

#include <CLI/CLI.hpp>

#include <set>
#include <string>

namespace svgen::cli {

struct AttentionOptionSet {
  bool withMethod = true;      // false for commands that take a list of methods
  std::set<std::string> skip;  // parameter keys the command offers in its own form (sweeps)
};

// Registers the options on `cmd`. After parsing, `a` holds: its values before parsing, then the
// --preset's budgets, then every option given (so a flag given beside --preset wins). The help
// shows `a`'s values before parsing as the defaults.
// A number as option help shows it ("0.25", "64").
std::string optionNumber(double v);

void addAttentionOptions(CLI::App* cmd, AttentionConfig& a, const AttentionOptionSet& set = {});

}  // namespace svgen::cli
