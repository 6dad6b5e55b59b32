// What the eval subcommands that read the built-in model's network directly (eval-prior,
// eval-shape-follow) share: loading a built-in model folder, whose renderer is their data, and
// the clean-clip prediction as sampling forms it.
#pragma once
#include "core/model/builtin/builtin_model.h"

#include <ATen/core/Tensor.h>
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

// Sets the CPU threads and loads the model onto the device (its DiT's device()). Throws
// InputError for a folder that is not a built-in model, or one whose network does not predict
// the clean clip; `command` names the caller in the message.
std::unique_ptr<BuiltinModel> loadBuiltinForEval(const BuiltinEvalTarget& target,
                                                 const std::string& command);

// The clean clips, in pixels, that the network predicts from `noisy` (in the model's latent
// space) at `timestep`, guided as the Engine guides them (guidance 1: the conditional
// prediction, which training fits). A latent model's prediction is decoded.
at::Tensor predictCleanPixels(BuiltinModel& model, const at::Tensor& noisy, double timestep,
                              const std::vector<std::string>& prompts, double guidance);

}  // namespace svgen::cli
