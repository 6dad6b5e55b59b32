// A file mapped read-only into memory for as long as the object lives: what the safetensors and
// GGUF readers hand tensor bytes out of, so a 28 GB checkpoint costs address space, not RAM.
#pragma once
#include <cstdint>
#include <string>

namespace svgen {

class MappedFile {
 public:
  // Throws svgen::InputError naming `path` when it cannot be opened, is not a regular file, or is
  // shorter than `minimumBytes` (then `what` says what it is too short for).
  MappedFile(const std::string& path, uint64_t minimumBytes, const std::string& what);
  ~MappedFile();
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;

  const uint8_t* bytes() const { return static_cast<const uint8_t*>(map_); }
  uint64_t size() const { return size_; }

 private:
  void* map_ = nullptr;
  uint64_t size_ = 0;
};

}  // namespace svgen
