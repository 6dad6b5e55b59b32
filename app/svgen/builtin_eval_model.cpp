#include "app/svgen/builtin_eval_model.h"

#include "app/svgen/commands.h"
#include "core/eval/builtin_predictors.h"
#include "core/pipeline/device.h"

namespace svgen::cli {

void addBuiltinEvalOptions(CLI::App* cmd, BuiltinEvalTarget& target) {
  cmd->add_option("-m,--model", target.model, "\"builtin\" or a built-in model folder")
      ->capture_default_str();
  cmd->add_option("-t,--threads", target.threads, "CPU threads (0: all cores)")
      ->check(nonNegative());
  cmd->add_option("-d,--device", target.device, "auto, cpu, cuda or cuda:N")->capture_default_str();
}

std::unique_ptr<BuiltinModel> loadBuiltinForEval(const BuiltinEvalTarget& target,
                                                 const std::string& command) {
  useCpuThreads(target.threads);
  return svgen::loadBuiltinForEval(target.model, pickDevice(target.device), command);
}

}  // namespace svgen::cli
