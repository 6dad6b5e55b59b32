// Flow-matching samplers: x_σ = (1 − σ)·x0 + σ·ε, the network predicts v = ε − x0.
#pragma once
#include "core/sampling/sampler_names.h"

#include <ATen/core/Tensor.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace svgen {

// σ_i for i = 0..steps (the last is 0): linspace(1, 1/1000, steps + 1)[:steps], shifted by
// s·σ / (1 + (s − 1)·σ), the first moved down by 1e-6 from 1 (UniPC takes log(1 − σ)): diffusers'
// flow-sigma schedule for Wan 2.1, which tests/fixtures/wan_tiny_reference checks.
std::vector<double> flowSigmas(int steps, double shift);
// σ_i for diffusers' FlowMatchEulerDiscreteScheduler, quirks included: linspace(1, σ_min, steps)
// with σ_min = shift(1/1000) as its training table holds it, then shifted again (so the last σ
// before 0 is shift(shift(1/1000)), not UniPC's), rounded to float32 as its tensors are; σ_0 is
// exactly 1.
std::vector<double> flowMatchEulerSigmas(int steps, double shift);
// σ_i as diffusers' HunyuanVideoPipeline hands them to FlowMatchEulerDiscreteScheduler:
// linspace(1, 0, steps + 1) without its end, made float32, shifted in float32 arithmetic by the
// scheduler, and a final 0 (so the last σ before 0 is shift(1/steps), not the training table's).
// σ_0 is exactly 1.
std::vector<double> hunyuanVideoSigmas(int steps, double shift);
// σ_i for Wan 2.1's own DPM++ sampler: its get_sampling_sigmas(N, shift) — linspace(1, 0, N + 1)
// without its end, shifted, in float64 — then float32 values as its scheduler stores them, and a
// final 0. σ_0 is exactly 1.
std::vector<double> wanDpmSigmas(int steps, double shift);
// The timesteps that sampler feeds the network: ⌊1000·σ_i⌋ of the float64 σ, as it casts them
// to int64.
std::vector<double> wanDpmTimesteps(int steps, double shift);

class Sampler {
 public:
  virtual ~Sampler() = default;
  int numSteps() const { return static_cast<int>(sigmas_.size()) - 1; }
  double sigma(int i) const { return sigmas_.at(i); }
  // The timestep the network sees at step i.
  virtual double modelTimestep(int i) const = 0;
  // Advances the sample from σ_i to σ_{i+1} given the velocity predicted at step i. Steps must be
  // taken in order 0, 1, ...
  virtual at::Tensor step(const at::Tensor& velocity, int i, const at::Tensor& sample) = 0;
  // The clean sample implied by a velocity at step i (what previews show).
  at::Tensor predictX0(const at::Tensor& velocity, int i, const at::Tensor& sample) const;

 protected:
  explicit Sampler(std::vector<double> sigmas) : sigmas_(std::move(sigmas)) {}
  std::vector<double> sigmas_;
};

// "unipc", "euler", "dpm++" or "ancestral" (stochastic: its fresh noise comes from `seed`);
// anything else is an InputError naming them. `schedule` (ModelInfo::sigmaSchedule):
// "hunyuan-video" puts Euler on HunyuanVideo's pipeline σ list; the others keep their own.
std::unique_ptr<Sampler> makeSampler(const std::string& name, int steps, double shift,
                                     uint64_t seed = 0, const std::string& schedule = {});

}  // namespace svgen
