#include "core/training/noise_levels.h"

#include "core/common/error.h"

namespace svgen {

namespace {

constexpr double kTrainShift = 3.0;
// logit(σ) ~ N(0.8, 1): most samples at σ 0.4–0.95, where layout, shape and motion are decided.
constexpr double kLogitMean = 0.8;
constexpr double kLogitStd = 1.0;

}  // namespace

void validateNoiseLevels(const std::string& kind, double pureShare) {
  if (kind != "logit-normal" && kind != "shift")
    throw InputError("unknown noise levels \"" + kind + "\": use logit-normal or shift");
  if (!(pureShare >= 0 && pureShare <= 1))
    throw InputError("the pure-noise share must be in [0, 1], got " + std::to_string(pureShare));
}

at::Tensor timestepOf(const at::Tensor& sigma) {
  return sigma * 1000;
}

NoiseLevels drawNoiseLevels(const std::string& kind, double pureShare, int64_t count,
                            const at::Device& device) {
  validateNoiseLevels(kind, pureShare);
  const auto options = at::TensorOptions().device(device);
  NoiseLevels n;
  if (kind == "shift") {
    const at::Tensor u = at::rand({count}, options);
    n.sigma = kTrainShift * u / (1 + (kTrainShift - 1) * u);
  } else {
    n.sigma = at::sigmoid(at::randn({count}, options) * kLogitStd + kLogitMean);
  }
  n.timestep = timestepOf(n.sigma);
  // A share of 0 draws nothing more, so runs without it keep their random streams.
  if (pureShare > 0) {
    const at::Tensor pure = at::rand({count}, options) < pureShare;
    n.sigma = at::where(pure, at::ones_like(n.sigma), n.sigma);
    n.timestep = at::where(pure, 999 + at::rand({count}, options), n.timestep);
  }
  return n;
}

}  // namespace svgen
