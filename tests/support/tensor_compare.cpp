#include "tensor_compare.h"

#include <ATen/ATen.h>

#include <algorithm>

namespace svgen::test {

double relativeError(const at::Tensor& got, const at::Tensor& want) {
  return (got.to(at::kFloat) - want).abs().max().item<double>() /
         std::max(1.0, want.abs().max().item<double>());
}

}  // namespace svgen::test
