// Looking up a checkpoint's weight by name and shape, with the one error message every model
// part gives for a missing or misshaped key.
#pragma once
#include "core/io/tensor_map.h"

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace svgen {

// Names and shapes of a model's parameters, as each model lists what it loads.
using WeightShapes = std::vector<std::pair<std::string, std::vector<int64_t>>>;

// A linear layer's `name`.weight (out, in) and `name`.bias (out).
void addLinearShapes(WeightShapes& shapes, const std::string& name, int64_t in, int64_t out);

// weights[name], which must have `shape`; InputError naming the key (and both shapes) otherwise.
const at::Tensor& requireWeight(const TensorMap& weights, const std::string& name,
                                const std::vector<int64_t>& shape);

}  // namespace svgen
