// How training draws each clip's noise level σ and the timestep the DiT is told.
#pragma once
#include <ATen/ATen.h>

#include <cstdint>
#include <string>

namespace svgen {

struct NoiseLevels {
  at::Tensor sigma;     // (count), in (0, 1]
  at::Tensor timestep;  // (count), what the DiT's time embedding sees
};

// `kind` is "shift" (σ = 3u/(1+2u), the sampler's own shift) or "logit-normal". Each clip is
// instead pure noise (σ = 1) with probability `pureShare`: sampling starts there, and elsewhere
// even σ = 0.98 shows where a clip's object is, so without such clips a model never learns where
// the prompt puts its objects. Pure clips get a timestep in [999, 1000), the range the samplers
// start at (UniPC truncates 1000·σ to 999, Euler passes 999.999). Draws from the device's
// default generator, which the caller seeds.
NoiseLevels drawNoiseLevels(const std::string& kind, double pureShare, int64_t count,
                            const at::Device& device);

// The timestep the DiT sees at σ below 1 (the samplers pass about 1000·σ).
at::Tensor timestepOf(const at::Tensor& sigma);

// Throws InputError for an unknown kind or a share outside [0, 1].
void validateNoiseLevels(const std::string& kind, double pureShare);

}  // namespace svgen
