// Weights kept as their file stores them (fp8, GGUF blocks) until a layer needs them, and loading
// a component's files into dense and packed tensors. A 14B DiT in Q4_K is 8 GB of blocks where
// bfloat16 would be 28 GB; the layer unpacks one weight at a time (kernels/cpu/dequantize.h on the
// CPU, kernels/cuda/dequantize.h on the GPU).
#pragma once
#include "core/io/dtype.h"
#include "core/io/tensor_map.h"

#include <c10/core/Device.h>

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace svgen {

struct PackedTensor {
  at::Tensor bytes;  // kByte, 1-D, the file's bytes, on the device that unpacks them
  DType dtype = DType::F8_E4M3;
  std::vector<int64_t> shape;
  // Scaled fp8: the factor every element is multiplied by, or a float tensor of one per row
  // (shape[0] elements) in rowScale.
  float scale = 1.0f;
  at::Tensor rowScale;

  int64_t numel() const;
  // `nonBlocking`: an asynchronous copy where the bytes are in pinned memory.
  PackedTensor to(const at::Device& device, bool nonBlocking = false) const;
  // In host memory, pinned when `pinned` (for asynchronous copies to a GPU).
  PackedTensor toHost(bool pinned) const;
  // The values, in `type` (kFloat and kBFloat16 directly, others through kFloat) on the bytes'
  // device.
  at::Tensor unpack(at::ScalarType type) const;
};

using PackedMap = std::map<std::string, PackedTensor>;

// What a component's files hold: tensors a layer uses as they are, and packed ones.
struct LoadedWeights {
  TensorMap dense;
  PackedMap packed;

  // Shapes of both kinds, by name.
  std::map<std::string, std::vector<int64_t>> shapes() const;
  // The packed tensors unpacked into `type` and joined to the dense ones, for components that do
  // not keep weights packed. Unpacks one tensor at a time, releasing its bytes.
  TensorMap unpackAll(at::ScalarType type) &&;
};

// Every tensor of the given .safetensors or .gguf files (an index stands for its shards). Dense
// GGUF types (F32, F16, BF16) come back dense. ComfyUI's scaled fp8 ("<x>.scale_weight" or
// "<x>.weight_scale" beside "<x>.weight", and the "scaled_fp8" marker) becomes the weights' scale;
// the activation scales those files carry ("scale_input", "input_scale") are dropped: weights are
// unpacked before the matmul. Throws InputError naming the file for anything malformed, a scale
// with no weight, or a scale of the wrong shape.
LoadedWeights loadWeights(const std::vector<std::string>& files);

// True for the side tensors of scaled fp8 files (weight scales, activation scales, the marker):
// part of how the weights are stored, not parameters of the model.
bool isFp8SideTensor(const std::string& name);

}  // namespace svgen
