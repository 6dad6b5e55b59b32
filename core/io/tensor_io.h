// LibTorch side of core/io/safetensors.h: safetensors files and checkpoints as at::Tensor maps.
#pragma once
#include "core/io/safetensors.h"

#include <ATen/core/Tensor.h>

#include <cstdint>
#include <map>
#include <string>

namespace svgen {

// kFloat, kHalf, kBFloat16, kLong, kInt, kByte; InputError for the packed types.
c10::ScalarType toScalarType(DType dtype);
// Throws svgen::InputError for a scalar type safetensors files here cannot hold (bool, double,
// ...).
DType fromScalarType(c10::ScalarType type);

// A CPU tensor owning a copy of the bytes, so it outlives the mapped file. Packed types (fp8, GGUF
// blocks) come back unpacked to float; see core/io/packed_weights.h to keep them packed.
at::Tensor toTensor(const uint8_t* data, const TensorInfo& info);

// Every tensor of a .safetensors file, a sharded checkpoint's index, a folder (see
// Checkpoint::open) or a GGUF file. Throws svgen::InputError for malformed input.
std::map<std::string, at::Tensor> loadTensors(const std::string& path);

// The key of the first tensor (in key order) holding a NaN or an infinity, or "".
std::string firstNonFiniteTensor(const std::map<std::string, at::Tensor>& tensors);

// Writes the tensors (moved to the CPU and made contiguous, dtype kept) atomically to `path`.
// Throws svgen::InputError for an unsupported dtype, svgen::RuntimeFailure for I/O errors.
void saveTensors(const std::string& path, const std::map<std::string, at::Tensor>& tensors,
                 const std::map<std::string, std::string>& metadata = {});

// The same as Hugging Face shards in `dir`; see writeSharded().
void saveTensorsSharded(const std::string& dir, const std::string& basename,
                        const std::map<std::string, at::Tensor>& tensors, uint64_t maxShardBytes,
                        const std::map<std::string, std::string>& metadata = {});

}  // namespace svgen
