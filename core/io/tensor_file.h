// What the safetensors and GGUF readers have in common: a file of named tensors, each a byte range
// of one memory-mapped file, with its stored type and logical shape. Checkpoint inspection and
// weight loading see files through this, whichever format they are. Plain C++17.
#pragma once
#include "core/io/dtype.h"

#include <cstdint>
#include <string>
#include <vector>

namespace svgen {

struct TensorInfo {
  std::string name;
  DType dtype = DType::F32;
  std::vector<int64_t> shape;  // logical (PyTorch) order; [] is a scalar (one element)
  uint64_t begin = 0;          // byte range [begin, end) relative to the data section
  uint64_t end = 0;

  int64_t numel() const;
  uint64_t nbytes() const { return end - begin; }
};

class TensorFile {
 public:
  virtual ~TensorFile() = default;
  virtual const std::string& path() const = 0;
  // Sorted by name.
  virtual const std::vector<TensorInfo>& tensors() const = 0;
  virtual const TensorInfo* find(const std::string& name) const = 0;
  // The tensor's first byte, as aligned as the file makes it.
  virtual const uint8_t* data(const TensorInfo& info) const = 0;
  // "safetensors" or "GGUF".
  virtual const char* formatName() const = 0;
};

}  // namespace svgen
