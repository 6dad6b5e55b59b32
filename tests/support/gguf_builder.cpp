#include "gguf_builder.h"

#include "core/io/dtype.h"
#include "core/io/weight_quantization.h"

#include <ATen/ATen.h>

#include <cmath>
#include <cstring>
#include <stdexcept>

namespace svgen::test {

namespace {

template <typename T>
void put(std::string& out, T v) {
  out.append(reinterpret_cast<const char*>(&v), sizeof v);
}

void putString(std::string& out, const std::string& s) {
  put<uint64_t>(out, s.size());
  out += s;
}

}  // namespace

std::string ggufString(const std::string& key, const std::string& value) {
  std::string out;
  putString(out, key);
  put<uint32_t>(out, 8);
  putString(out, value);
  return out;
}

std::string ggufU32(const std::string& key, uint32_t value) {
  std::string out;
  putString(out, key);
  put<uint32_t>(out, 4);
  put<uint32_t>(out, value);
  return out;
}

std::string ggufI32Array(const std::string& key, const std::vector<int32_t>& values) {
  std::string out;
  putString(out, key);
  put<uint32_t>(out, 9);
  put<uint32_t>(out, 5);
  put<uint64_t>(out, values.size());
  for (int32_t v : values) put<int32_t>(out, v);
  return out;
}

std::string ggufBytes(const GgufSpec& spec) {
  std::string header;
  put<uint32_t>(header, 0x46554747);
  put<uint32_t>(header, spec.version);
  put<uint64_t>(header, spec.tensorCount.value_or(spec.tensors.size()));
  put<uint64_t>(header, spec.metadataCount.value_or(spec.metadata.size()));
  for (const auto& m : spec.metadata) header += m;
  std::string data;
  for (const auto& t : spec.tensors) {
    data.append((spec.alignment - data.size() % spec.alignment) % spec.alignment, '\0');
    putString(header, t.name);
    put<uint32_t>(header, static_cast<uint32_t>(t.ggufDims.size()));
    for (uint64_t d : t.ggufDims) put<uint64_t>(header, d);
    put<uint32_t>(header, t.type);
    put<uint64_t>(header, t.offset.value_or(data.size()));
    data += t.bytes;
  }
  header.append((spec.alignment - header.size() % spec.alignment) % spec.alignment, '\0');
  return header + data;
}

GgufTensorSpec ggufTensor(const std::string& name, const at::Tensor& values, uint32_t type) {
  GgufTensorSpec t;
  t.name = name;
  t.type = type;
  for (int64_t d = values.dim() - 1; d >= 0; --d) t.ggufDims.push_back(values.size(d));
  const at::Tensor x = values.to(at::kCPU, at::kFloat).contiguous();
  const float* p = x.data_ptr<float>();
  const int64_t n = x.numel();
  switch (type) {
    case 0:
      t.bytes.assign(reinterpret_cast<const char*>(p), n * 4);
      break;
    case 1:
      for (int64_t i = 0; i < n; ++i) put<uint16_t>(t.bytes, floatToHalf(p[i]));
      break;
    case 8: {
      const PackedTensor q = packQ8_0(x);
      t.bytes.assign(reinterpret_cast<const char*>(q.bytes.data_ptr<uint8_t>()), q.bytes.numel());
      break;
    }
    default:
      throw std::invalid_argument("ggufTensor: type " + std::to_string(type) + " not written");
  }
  return t;
}

}  // namespace svgen::test
