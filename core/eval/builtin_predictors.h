// The built-in model's network read directly, for the evals whose data is its renderer
// (eval-prior, eval-shape-follow): loading a built-in model folder, and its clean-clip
// predictions guided as sampling guides them.
#pragma once
#include "core/eval/pure_noise_prior.h"
#include "core/eval/shape_follow.h"
#include "core/model/builtin/builtin_model.h"

#include <ATen/core/Tensor.h>
#include <c10/core/Device.h>

#include <memory>
#include <string>
#include <vector>

namespace svgen {

// Loads "builtin" or a built-in model folder onto `device`. Throws InputError for a folder that is
// not a built-in model, or one whose network does not predict the clean clip; `command` names the
// caller in the message.
std::unique_ptr<BuiltinModel> loadBuiltinForEval(const std::string& model, const at::Device& device,
                                                 const std::string& command);

// The clean clips, in pixels, that the network predicts from `noisy` (in the model's latent
// space) at `timestep`, guided as the Engine guides them (guidance 1: the conditional
// prediction, which training fits). A latent model's prediction is decoded.
at::Tensor predictCleanPixels(BuiltinModel& model, const at::Tensor& noisy, double timestep,
                              const std::vector<std::string>& prompts, double guidance);

// The predictor measureShapeFollow asks: clean clips noised to σ (in the model's latent space)
// at the timestep training gives σ.
NoisedPredictor noisedPredictor(BuiltinModel& model, double guidance);

// The predictor measurePureNoisePrior asks: the prediction from seeded pure noise at `timestep`,
// one noise for every prompt of a call.
PureNoisePredictor pureNoisePredictor(BuiltinModel& model, const PriorOptions& options,
                                      double timestep, double guidance);

}  // namespace svgen
