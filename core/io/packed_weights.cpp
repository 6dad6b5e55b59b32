#include "core/io/packed_weights.h"

#include "core/common/error.h"
#include "core/common/string_affixes.h"
#include "core/common/tensor_shape_text.h"
#include "core/io/gguf_file.h"
#include "core/io/safetensors.h"
#include "core/io/tensor_io.h"
#include "kernels/cpu/dequantize.h"
#include "kernels/cuda/dequantize.h"

#include <ATen/ATen.h>

#include <cstring>
#include <memory>

namespace svgen {

int64_t PackedTensor::numel() const {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  return n;
}

PackedTensor PackedTensor::to(const at::Device& device, bool nonBlocking) const {
  PackedTensor out = *this;
  out.bytes = bytes.to(device, nonBlocking);
  if (rowScale.defined()) out.rowScale = rowScale.to(device, nonBlocking);
  return out;
}

PackedTensor PackedTensor::toHost(bool pinned) const {
  PackedTensor out = *this;
  out.bytes = bytes.to(at::kCPU);
  if (pinned) out.bytes = out.bytes.pin_memory();
  if (rowScale.defined()) {
    out.rowScale = rowScale.to(at::kCPU);
    if (pinned) out.rowScale = out.rowScale.pin_memory();
  }
  return out;
}

at::Tensor PackedTensor::unpack(at::ScalarType type) const {
  // A row scale is applied in float, before any rounding to bfloat16.
  const bool bf16 = type == at::kBFloat16 && !rowScale.defined();
  at::Tensor out = at::empty(shape, bytes.options().dtype(bf16 ? at::kBFloat16 : at::kFloat));
  const kernels::PackedFormat format = packedFormatOf(dtype);
  if (bytes.is_cuda()) {
    kernels::dequantizeCuda(format, bytes.data_ptr(), numel(), scale, out.data_ptr(), bf16,
                            nullptr);
  } else if (bf16) {
    kernels::dequantizeToBf16(format, bytes.data_ptr<uint8_t>(), numel(), scale,
                              static_cast<uint16_t*>(out.data_ptr()));
  } else {
    kernels::dequantizeToFloat(format, bytes.data_ptr<uint8_t>(), numel(), scale,
                               out.data_ptr<float>());
  }
  if (rowScale.defined()) {
    std::vector<int64_t> view(shape.size(), 1);
    view[0] = shape[0];
    out.mul_(rowScale.view(view));
  }
  return out.scalar_type() == type ? out : out.to(type);
}

std::map<std::string, std::vector<int64_t>> LoadedWeights::shapes() const {
  std::map<std::string, std::vector<int64_t>> out;
  for (const auto& [k, t] : dense) out[k] = t.sizes().vec();
  for (const auto& [k, p] : packed) out[k] = p.shape;
  return out;
}

TensorMap LoadedWeights::unpackAll(at::ScalarType type) && {
  TensorMap out = std::move(dense);
  for (auto it = packed.begin(); it != packed.end(); it = packed.erase(it))
    out.emplace(it->first, it->second.unpack(type));
  return out;
}

namespace {

std::vector<std::shared_ptr<TensorFile>> openFiles(const std::string& path) {
  if (hasGgufMagic(path)) return {GgufFile::open(path)};
  if (endsWith(path, ".json")) {
    const Checkpoint index = Checkpoint::open(path);
    std::vector<std::shared_ptr<TensorFile>> out;
    for (const auto& f : index.files()) out.push_back(f);
    return out;
  }
  return {SafetensorsFile::open(path)};
}

// "blocks.0.ffn.0.weight" for "blocks.0.ffn.0.scale_weight" and friends; "" for other names.
std::string scaledWeightName(const std::string& name) {
  for (const char* suffix : {".scale_weight", ".weight_scale"}) {
    if (endsWith(name, suffix))
      return name.substr(0, name.size() - std::strlen(suffix)) + ".weight";
  }
  return {};
}

bool isDroppedName(const std::string& name) {
  return name == "scaled_fp8" || endsWith(name, ".scaled_fp8") || endsWith(name, ".scale_input") ||
         endsWith(name, ".input_scale");
}

struct FoundScale {
  std::string file;
  at::Tensor values;  // float
};

void applyScale(LoadedWeights& w, const std::string& weight, const FoundScale& s) {
  auto where = [&] { return s.file + ": scale of " + weight; };
  const int64_t n = s.values.numel();
  if (auto it = w.packed.find(weight); it != w.packed.end()) {
    PackedTensor& p = it->second;
    if (n == 1) {
      p.scale = s.values.item<float>();
    } else if (!p.shape.empty() && n == p.shape[0]) {
      p.rowScale = s.values.reshape({n}).contiguous();
    } else {
      throw InputError(where() + ": " + std::to_string(n) + " values for a weight of shape " +
                       shapeText(p.shape) + " (one, or one per row)");
    }
    return;
  }
  auto it = w.dense.find(weight);
  if (it == w.dense.end()) throw InputError(where() + ": the file has no such weight");
  at::Tensor& t = it->second;
  if (n != 1 && (t.dim() == 0 || n != t.size(0)))
    throw InputError(where() + ": " + std::to_string(n) + " values for a weight of shape " +
                     shapeText(t.sizes().vec()) + " (one, or one per row)");
  std::vector<int64_t> view(std::max<int64_t>(t.dim(), 1), 1);
  view[0] = n;
  t = (t.to(at::kFloat) * s.values.reshape(n == 1 ? std::vector<int64_t>{} : view))
          .to(t.scalar_type());
}

}  // namespace

LoadedWeights loadWeights(const std::vector<std::string>& paths) {
  LoadedWeights out;
  std::map<std::string, FoundScale> scales;
  std::map<std::string, std::string> fileOf;
  for (const std::string& path : paths) {
    for (const auto& file : openFiles(path)) {
      for (const TensorInfo& info : file->tensors()) {
        if (auto [it, fresh] = fileOf.emplace(info.name, file->path()); !fresh)
          throw InputError(file->path() + ": tensor \"" + info.name + "\" is also in " +
                           it->second);
        if (isDroppedName(info.name)) continue;
        const uint8_t* data = file->data(info);
        if (const std::string weight = scaledWeightName(info.name); !weight.empty()) {
          if (dtypeIsPacked(info.dtype))
            throw InputError(file->path() + ": scale \"" + info.name + "\" is stored as " +
                             dtypeName(info.dtype) + "; scales are F32, F16 or BF16");
          scales[weight] = {file->path(), toTensor(data, info).to(at::kFloat)};
          continue;
        }
        if (!dtypeIsPacked(info.dtype)) {
          out.dense.emplace(info.name, toTensor(data, info));
          continue;
        }
        PackedTensor p;
        p.dtype = info.dtype;
        p.shape = info.shape;
        p.bytes = at::empty({static_cast<int64_t>(info.nbytes())}, at::kByte);
        if (info.nbytes()) std::memcpy(p.bytes.data_ptr(), data, info.nbytes());
        out.packed.emplace(info.name, std::move(p));
      }
    }
  }
  for (const auto& [weight, s] : scales) applyScale(out, weight, s);
  return out;
}

bool isFp8SideTensor(const std::string& name) {
  return !scaledWeightName(name).empty() || isDroppedName(name);
}

}  // namespace svgen
