#include "core/io/tensor_io.h"

#include "core/common/error.h"
#include "core/io/gguf_file.h"
#include "kernels/cpu/dequantize.h"

#include <ATen/ATen.h>

#include <cstring>
#include <vector>

namespace svgen {

c10::ScalarType toScalarType(DType dtype) {
  switch (dtype) {
    case DType::F32:
      return at::kFloat;
    case DType::F16:
      return at::kHalf;
    case DType::BF16:
      return at::kBFloat16;
    case DType::I64:
      return at::kLong;
    case DType::I32:
      return at::kInt;
    case DType::U8:
      return at::kByte;
    default:
      throw InputError(std::string(dtypeName(dtype)) +
                       " is a packed type: unpack it (core/io/packed_weights.h) before use");
  }
}

DType fromScalarType(c10::ScalarType type) {
  switch (type) {
    case at::kFloat:
      return DType::F32;
    case at::kHalf:
      return DType::F16;
    case at::kBFloat16:
      return DType::BF16;
    case at::kLong:
      return DType::I64;
    case at::kInt:
      return DType::I32;
    case at::kByte:
      return DType::U8;
    default:
      throw InputError(std::string("safetensors: tensors of type ") + c10::toString(type) +
                       " cannot be saved (supported: float, half, bfloat16, int64, int32, uint8)");
  }
}

at::Tensor toTensor(const uint8_t* data, const TensorInfo& info) {
  if (dtypeIsPacked(info.dtype)) {
    at::Tensor t = at::empty(info.shape, at::kFloat);
    kernels::dequantizeToFloat(packedFormatOf(info.dtype), data, info.numel(), 1.0f,
                               t.data_ptr<float>());
    return t;
  }
  at::Tensor t = at::empty(info.shape, at::TensorOptions().dtype(toScalarType(info.dtype)));
  if (info.nbytes() > 0) std::memcpy(t.data_ptr(), data, info.nbytes());
  return t;
}

std::map<std::string, at::Tensor> loadTensors(const std::string& path) {
  if (hasGgufMagic(path)) {
    const auto file = GgufFile::open(path);
    std::map<std::string, at::Tensor> out;
    for (const TensorInfo& t : file->tensors()) out.emplace(t.name, toTensor(file->data(t), t));
    return out;
  }
  Checkpoint ck = Checkpoint::open(path);
  std::map<std::string, at::Tensor> out;
  for (const auto& name : ck.names()) out.emplace(name, toTensor(ck.data(name), *ck.find(name)));
  return out;
}

namespace {

// Contiguous CPU versions of the tensors, which must stay alive while their bytes are written.
std::vector<at::Tensor> hostCopies(const std::map<std::string, at::Tensor>& tensors,
                                   std::vector<TensorRef>& refs) {
  std::vector<at::Tensor> keep;
  keep.reserve(tensors.size());
  refs.reserve(tensors.size());
  for (const auto& [name, tensor] : tensors) {
    if (!tensor.defined()) {
      throw InputError("safetensors: tensor \"" + name + "\" is undefined");
    }
    if (tensor.layout() != at::kStrided) {
      throw InputError("safetensors: tensor \"" + name + "\" is not dense");
    }
    DType dtype = fromScalarType(tensor.scalar_type());
    at::Tensor host = tensor.to(at::kCPU).contiguous();
    refs.push_back(TensorRef{name, dtype, host.sizes().vec(), host.data_ptr(), host.nbytes()});
    keep.push_back(std::move(host));
  }
  return keep;
}

}  // namespace

void saveTensors(const std::string& path, const std::map<std::string, at::Tensor>& tensors,
                 const std::map<std::string, std::string>& metadata) {
  std::vector<TensorRef> refs;
  std::vector<at::Tensor> keep = hostCopies(tensors, refs);
  SafetensorsWriter writer;
  for (const auto& r : refs) writer.addView(r.name, r.dtype, r.shape, r.data, r.nbytes);
  for (const auto& [k, v] : metadata) writer.setMetadata(k, v);
  writer.write(path);
}

void saveTensorsSharded(const std::string& dir, const std::string& basename,
                        const std::map<std::string, at::Tensor>& tensors, uint64_t maxShardBytes,
                        const std::map<std::string, std::string>& metadata) {
  std::vector<TensorRef> refs;
  std::vector<at::Tensor> keep = hostCopies(tensors, refs);
  writeSharded(dir, basename, refs, maxShardBytes, metadata);
}

std::string firstNonFiniteTensor(const std::map<std::string, at::Tensor>& tensors) {
  for (const auto& [key, t] : tensors)
    if (t.defined() && t.is_floating_point() && !at::isfinite(t).all().item<bool>()) return key;
  return {};
}

}  // namespace svgen
