// Fresh parameters for a config: what training starts from, and what the built-in model runs on
// until trained weights exist. Seeded, so the same seed gives the same model.
#pragma once
#include "core/io/tensor_map.h"
#include "core/model/wan_config.h"

#include <ATen/core/Generator.h>

#include <cstdint>
#include <vector>

namespace svgen {

// Wan's scheme: Xavier-uniform linears, zero biases, unit norms, N(0, 0.02) embeddings.
// `zeroHead` zeroes the output projection as Wan does for training; leave it false for a
// random model whose output should still depend on its input.
TensorMap initWanWeights(const WanConfig& config, uint64_t seed, bool zeroHead);
// Xavier-uniform float32 values for a weight of `shape` (fan-in: all but the first dimension).
at::Tensor xavierUniform(const std::vector<int64_t>& shape, at::Generator& gen);

}  // namespace svgen
