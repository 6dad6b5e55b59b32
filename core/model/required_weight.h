// Looking up a checkpoint's weight by name and shape, with the one error message every model
// part gives for a missing or misshaped key.
#pragma once
#include "core/io/tensor_map.h"

#include <cstdint>
#include <string>
#include <vector>

namespace svgen {

// weights[name], which must have `shape`; InputError naming the key (and both shapes) otherwise.
const at::Tensor& requireWeight(const TensorMap& weights, const std::string& name,
                                const std::vector<int64_t>& shape);

}  // namespace svgen
