// Fresh parameters for a config: what training starts from, and what the built-in model runs on
// until trained weights exist. Seeded, so the same seed gives the same model.
#pragma once
#include "core/io/tensor_map.h"
#include "core/model/wan_config.h"
#include "core/model/word_encoder.h"

#include <cstdint>

namespace svgen {

// Wan's scheme: Xavier-uniform linears, zero biases, unit norms, N(0, 0.02) embeddings.
// `zeroHead` zeroes the output projection as Wan does for training; leave it false for a
// random model whose output should still depend on its input.
TensorMap initWanWeights(const WanConfig& config, uint64_t seed, bool zeroHead);
TensorMap initWordEncoderWeights(const WordEncoderConfig& config, int vocabularySize,
                                 uint64_t seed);

}  // namespace svgen
