// The sparse-attention options shared by generate, compare and bench.
#pragma once
#include "core/attention/attention_config.h"

#include <CLI/CLI.hpp>

namespace svgen::cli {

// --attention and the budgets of each method. `withMethod` false leaves out --attention (for
// commands that take a list of methods).
void addAttentionOptions(CLI::App* cmd, AttentionConfig& a, bool withMethod = true);

}  // namespace svgen::cli
