// How the parity tests measure a port against a reference output. LibTorch only.
#pragma once
#include <ATen/core/Tensor.h>

namespace svgen::test {

// max |got − want| over max(1, max |want|): the error relative to the reference's scale (got may
// be any floating dtype; want is float32).
double relativeError(const at::Tensor& got, const at::Tensor& want);

}  // namespace svgen::test
