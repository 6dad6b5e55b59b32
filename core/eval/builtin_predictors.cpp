#include "core/eval/builtin_predictors.h"

#include "core/common/error.h"
#include "core/sampling/guidance.h"
#include "core/training/noise_levels.h"

#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>
#include <c10/core/GradMode.h>

namespace svgen {

std::unique_ptr<BuiltinModel> loadBuiltinForEval(const std::string& model, const at::Device& device,
                                                 const std::string& command) {
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

NoisedPredictor noisedPredictor(BuiltinModel& model, double guidance) {
  return [&model, guidance](const at::Tensor& clean, double sigma,
                            const std::vector<std::string>& prompts, uint64_t noiseSeed) {
    const at::Device device = model.dit().device();
    at::Tensor x = clean.to(device);
    if (model.autoencoder()) x = model.autoencoder()->encode(x);
    // One noise for both clips of a call, so that only the drawn shape differs.
    at::Generator gen = at::make_generator<at::CPUGeneratorImpl>(noiseSeed);
    const at::Tensor noise =
        at::randn({1, x.size(1), x.size(2), x.size(3), x.size(4)}, gen).to(device).expand_as(x);
    const at::Tensor noisy = x * (1 - sigma) + noise * sigma;
    const double timestep = timestepOf(at::full({1}, sigma, at::kDouble)).item<double>();
    return predictCleanPixels(model, noisy, timestep, prompts, guidance);
  };
}

PureNoisePredictor pureNoisePredictor(BuiltinModel& model, const PriorOptions& options,
                                      double timestep, double guidance) {
  at::Generator gen = at::make_generator<at::CPUGeneratorImpl>(options.seed);
  return [&model, options, timestep, guidance, gen](const std::vector<std::string>& prompts) {
    const int64_t n = static_cast<int64_t>(prompts.size());
    // One noise for every prompt of a call, so that only the words differ between them.
    const std::vector<int64_t> latent =
        model.latentShape(options.frames, options.height, options.width);
    at::Generator g = gen;
    const at::Tensor noise = at::randn({1, latent[0], latent[1], latent[2], latent[3]}, g)
                                 .expand({n, -1, -1, -1, -1})
                                 .to(model.dit().device());
    return predictCleanPixels(model, noise, timestep, prompts, guidance);
  };
}

}  // namespace svgen
