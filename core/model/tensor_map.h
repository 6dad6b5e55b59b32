// Named tensors, as a checkpoint holds them.
#pragma once
#include <ATen/core/Tensor.h>

#include <map>
#include <string>

namespace svgen {

using TensorMap = std::map<std::string, at::Tensor>;

}  // namespace svgen
