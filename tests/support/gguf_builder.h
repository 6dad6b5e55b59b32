// GGUF files written byte by byte for the tests, lies included: a header can claim any count,
// offset or type, so the reader's checks can be shown to fire, and real Q8_0 DiT files from the
// fixtures (core/io/weight_quantization.h).
#pragma once
#include <ATen/core/Tensor.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace svgen::test {

struct GgufTensorSpec {
  std::string name;
  uint32_t type = 0;               // ggml type id (0 F32, 1 F16, 8 Q8_0, ...)
  std::vector<uint64_t> ggufDims;  // fastest first
  std::string bytes;
  std::optional<uint64_t> offset;  // default: packed in order at the alignment
};

struct GgufSpec {
  uint32_t version = 3;
  uint64_t alignment = 32;
  std::vector<std::string> metadata;  // entries made with the helpers below
  std::vector<GgufTensorSpec> tensors;
  std::optional<uint64_t> tensorCount, metadataCount;  // lies, when set
};

std::string ggufBytes(const GgufSpec& spec);

// One metadata entry: key, value type and value.
std::string ggufString(const std::string& key, const std::string& value);
std::string ggufU32(const std::string& key, uint32_t value);
std::string ggufI32Array(const std::string& key, const std::vector<int32_t>& values);

// A tensor (any float dtype, PyTorch shape) as GGUF stores it in `type`: 0 F32, 1 F16 or 8 Q8_0
// (last dimension a multiple of 32).
GgufTensorSpec ggufTensor(const std::string& name, const at::Tensor& values, uint32_t type);

}  // namespace svgen::test
