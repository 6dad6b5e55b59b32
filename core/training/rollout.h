// Training on the sampler's own states ("rollout" clips). From pure noise the model predicts a
// round blob whatever the shape word, and the sampler then noises that blob: every later input
// shows an outline that no training clip had, and the denoiser, trained only on inputs noised
// from true clips, follows it. A rollout clip is noised to the level of one of the sampler's
// steps, denoised by the model being trained (guided, as sampling does), advanced one first-order
// (Euler) step to the next level of the schedule, and trained at the next level against the true
// clip: the model learns to correct its own earlier predictions.
#pragma once
#include <ATen/ATen.h>

#include <cstdint>
#include <functional>

namespace svgen {

struct RolloutLevels {
  at::Tensor from;  // (count) σ of the step the model denoises
  at::Tensor to;    // (count) σ of the next step, < from
};

// A uniformly drawn step of the flow sampler's schedule (flowSigmas(steps, shift)) for each
// clip, excluding the last (to σ = 0, where there is nothing left to train). Draws from the
// device's default generator.
RolloutLevels drawRolloutLevels(int steps, double shift, int64_t count, const at::Device& device);

// The first-order (Euler, DDIM) step from σ `from` to `to` that keeps the predicted clean sample:
// x0̂ + (to/from)·(sample − x0̂). Levels are (count) and broadcast over the other dimensions.
at::Tensor stepToLevel(const at::Tensor& sample, const at::Tensor& x0Hat, const at::Tensor& from,
                       const at::Tensor& to);

// The model's clean-clip prediction for inputs (B, C, F, H, W) at timesteps (B) given prompt ids
// (B, words), 0 = padding (a row of zeros is the empty prompt).
using X0Predictor = std::function<at::Tensor(const at::Tensor& sample, const at::Tensor& timestep,
                                             const at::Tensor& ids)>;

// Rollout clips' inputs: x0 noised to r.from with `noise`, denoised by `predict` without
// gradients, with classifier-free guidance as sampling forms it (a row whose prompt is empty
// gets the same prediction twice, so it stays unconditional), and stepped to r.to.
at::Tensor rolloutInputs(const X0Predictor& predict, const at::Tensor& x0, const at::Tensor& noise,
                         const at::Tensor& ids, const RolloutLevels& r, double guidance);

}  // namespace svgen
