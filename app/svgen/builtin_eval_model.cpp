#include "app/svgen/builtin_eval_model.h"

#include "core/common/error.h"
#include "core/pipeline/device.h"
#include "core/sampling/guidance.h"

#include <ATen/ATen.h>
#include <c10/core/GradMode.h>

namespace svgen::cli {

void addBuiltinEvalOptions(CLI::App* cmd, BuiltinEvalTarget& target) {
  cmd->add_option("-m,--model", target.model, "\"builtin\" or a built-in model folder")
      ->capture_default_str();
  cmd->add_option("-t,--threads", target.threads, "CPU threads (0: all cores)")
      ->check(CLI::NonNegativeNumber);
  cmd->add_option("-d,--device", target.device, "auto, cpu, cuda or cuda:N")->capture_default_str();
}

std::unique_ptr<BuiltinModel> loadBuiltinForEval(const BuiltinEvalTarget& target,
                                                 const std::string& command) {
  useCpuThreads(target.threads);
  const at::Device device = pickDevice(target.device);
  const std::string& model = target.model;
  const std::string dir = model == "builtin" ? findBuiltinModelDir() : model;
  if (dir.empty()) throw InputError("this install has no trained built-in model");
  if (!isBuiltinFormatDir(dir))
    throw InputError(command + " needs a built-in model folder (the renderer is its data); " +
                     model + " is not one");
  auto loaded = BuiltinModel::load(dir, model, device);
  if (loaded->dit().config().prediction != "x0")
    throw InputError(command + " reads the network's output as a clean clip; " + model +
                     " predicts \"" + loaded->dit().config().prediction + "\"");
  return loaded;
}

at::Tensor predictCleanPixels(BuiltinModel& model, const at::Tensor& noisy, double timestep,
                              const std::vector<std::string>& prompts, double guidance) {
  c10::NoGradGuard noGrad;
  const int64_t n = static_cast<int64_t>(prompts.size());
  const at::Tensor t = at::full({n}, timestep, at::TensorOptions().device(noisy.device()));
  at::Tensor x0 = model.dit().forward(noisy, t, model.encodeText(prompts));
  if (guidance != 1) {
    const at::Tensor uncond =
        model.dit().forward(noisy, t, model.encodeText(std::vector<std::string>(n, "")));
    x0 = classifierFreeGuidance(x0, uncond, guidance);
  }
  return model.autoencoder() ? model.autoencoder()->decode(x0) : x0;
}

}  // namespace svgen::cli
