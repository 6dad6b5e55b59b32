// GGUF files (ggml's format, https://github.com/ggml-org/ggml/blob/master/docs/gguf.md), versions
// 2 and 3, as the popular Wan conversions ship the DiT: a header of typed key-value metadata and
// tensor descriptions, then the aligned data section. Our own reader, memory-mapped like the
// safetensors one; every count, length and offset in the header is checked against the file
// before anything is allocated or read, since these files come from the internet. Plain C++17.
//
// Shapes: GGUF lists dimensions fastest first; tensors() gives them in PyTorch's order, or as the
// metadata key "comfy.gguf.orig_shape.<name>" states (ComfyUI-GGUF stores 5-D convolution weights
// flattened to 4-D and records their real shape there).
#pragma once
#include "core/io/mapped_file.h"
#include "core/io/tensor_file.h"

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace svgen {

struct GgufValue {
  enum class Type : uint32_t {
    U8 = 0,
    I8 = 1,
    U16 = 2,
    I16 = 3,
    U32 = 4,
    I32 = 5,
    F32 = 6,
    Bool = 7,
    String = 8,
    Array = 9,
    U64 = 10,
    I64 = 11,
    F64 = 12,
  };
  Type type = Type::U8;
  Type elementType = Type::U8;    // arrays only
  int64_t integer = 0;            // integer and Bool scalars (U64 above INT64_MAX is refused)
  double real = 0;                // F32, F64
  std::string text;               // String
  uint64_t count = 0;             // arrays: their length
  std::vector<int64_t> integers;  // arrays of integers
  std::vector<std::string>
      strings;  // arrays of strings (arrays of floats or arrays are counted only)

  bool isInteger() const;
  // "wan", "32", "[INT32 × 5]" and so on, for reports.
  std::string summary() const;
};

class GgufFile : public TensorFile {
 public:
  // Maps and validates the file; throws svgen::InputError naming the file (and the tensor or key
  // at fault) for anything malformed or of a type this project does not decode.
  static std::shared_ptr<GgufFile> open(const std::string& path);

  const std::string& path() const override { return path_; }
  const std::vector<TensorInfo>& tensors() const override { return tensors_; }
  const TensorInfo* find(const std::string& name) const override;
  const uint8_t* data(const TensorInfo& info) const override { return dataSection_ + info.begin; }
  const char* formatName() const override { return "GGUF"; }

  uint32_t version() const { return version_; }
  uint64_t alignment() const { return alignment_; }
  const std::map<std::string, GgufValue>& metadata() const { return metadata_; }
  // "general.architecture" ("wan", "t5encoder", ...), or "".
  std::string architecture() const;

 private:
  explicit GgufFile(std::string path) : path_(std::move(path)) {}
  void parse();

  std::string path_;
  std::unique_ptr<MappedFile> map_;
  const uint8_t* dataSection_ = nullptr;
  uint32_t version_ = 0;
  uint64_t alignment_ = 32;
  std::vector<TensorInfo> tensors_;
  std::map<std::string, GgufValue> metadata_;
};

// True when the file at `path` starts with GGUF's magic (false when it cannot be read).
bool hasGgufMagic(const std::string& path);

// The name ggml gives a GGUF tensor type id ("Q4_K", "IQ4_XS", ...), or "type N".
std::string ggmlTypeName(uint32_t type);

}  // namespace svgen
