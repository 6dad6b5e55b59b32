#include "core/model/weight_init.h"

#include "core/common/string_affixes.h"
#include "core/model/wan_dit.h"

#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>

#include <cmath>

namespace svgen {

at::Tensor xavierUniform(const std::vector<int64_t>& shape, at::Generator& gen) {
  int64_t fanOut = shape[0], fanIn = 1;
  for (size_t i = 1; i < shape.size(); ++i) fanIn *= shape[i];
  int64_t receptive = 1;
  for (size_t i = 2; i < shape.size(); ++i) receptive *= shape[i];
  fanOut *= receptive;
  const double bound = std::sqrt(6.0 / static_cast<double>(fanIn + fanOut));
  return at::empty(shape, at::kFloat).uniform_(-bound, bound, gen);
}

TensorMap initWanWeights(const WanConfig& config, uint64_t seed, bool zeroHead) {
  at::Generator gen = at::make_generator<at::CPUGeneratorImpl>(seed);
  TensorMap w;
  for (const auto& [name, shape] : wanParameterShapes(config)) {
    at::Tensor t;
    if (endsWith(name, "modulation")) {
      t = at::empty(shape, at::kFloat)
              .normal_(0.0, 1.0 / std::sqrt(static_cast<double>(config.dim)), gen);
    } else if (endsWith(name, ".bias")) {
      t = at::zeros(shape, at::kFloat);
    } else if (name.find("norm") != std::string::npos ||
               (shape.size() == 1 && endsWith(name, ".weight"))) {  // a LayerNorm's gain
      t = at::ones(shape, at::kFloat);
    } else if (name.rfind("text_embedding", 0) == 0 || name.rfind("time_embedding", 0) == 0) {
      t = at::empty(shape, at::kFloat).normal_(0.0, 0.02, gen);
    } else if (zeroHead && name == "head.head.weight") {
      t = at::zeros(shape, at::kFloat);
    } else {
      t = xavierUniform(shape, gen);
    }
    w[name] = t;
  }
  return w;
}

}  // namespace svgen
