// The options of the eval subcommands that read the built-in model's network directly (eval-prior,
// eval-shape-follow); the model math is core/eval/builtin_predictors.h.
#pragma once
#include "core/model/builtin/builtin_model.h"

#include <CLI/CLI.hpp>

#include <memory>
#include <string>
#include <vector>

namespace svgen::cli {

// What such a command runs: its --model, --device and --threads.
struct BuiltinEvalTarget {
  std::string model = "builtin";  // "builtin" or a folder
  std::string device = "auto";
  int threads = 0;  // 0: every core
};
void addBuiltinEvalOptions(CLI::App* cmd, BuiltinEvalTarget& target);

// Sets the CPU threads and loads the model onto the device (its DiT's device()), as
// svgen::loadBuiltinForEval says.
std::unique_ptr<BuiltinModel> loadBuiltinForEval(const BuiltinEvalTarget& target,
                                                 const std::string& command);

}  // namespace svgen::cli
