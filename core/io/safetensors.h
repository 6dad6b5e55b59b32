// Safetensors files (https://github.com/huggingface/safetensors): reading through a read-only
// memory map, writing atomically, and sharded checkpoints in the Hugging Face layout. Plain C++17,
// no LibTorch and no Qt, so tools and kernels' tests can use it; core/io/tensor_io.h adapts it to
// at::Tensor.
//
// A file is an 8-byte little-endian header length N, N bytes of JSON
// {"name": {"dtype": "F32", "shape": [..], "data_offsets": [begin, end]}, ..., "__metadata__":
// {..}} and then the data section; offsets are relative to the data section. Everything in the
// header is checked before any tensor byte is touched, since checkpoints come from users and the
// internet.
#pragma once
#include "core/io/mapped_file.h"
#include "core/io/tensor_file.h"

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

namespace svgen {

// One .safetensors file, memory-mapped read-only for its lifetime.
class SafetensorsFile : public TensorFile {
 public:
  // Maps and validates the file; throws svgen::InputError naming the file (and the tensor, when one
  // is at fault) for anything malformed, and for a file that cannot be opened.
  static std::shared_ptr<SafetensorsFile> open(const std::string& path);
  SafetensorsFile(const SafetensorsFile&) = delete;
  SafetensorsFile& operator=(const SafetensorsFile&) = delete;

  const std::string& path() const override { return path_; }
  // Sorted by name.
  const std::vector<TensorInfo>& tensors() const override { return tensors_; }
  std::vector<std::string> names() const;
  const TensorInfo* find(const std::string& name) const override;
  // The tensor's first byte. Only as aligned as the file makes it: files from SafetensorsWriter
  // align every tensor to its element size, other writers may not.
  const uint8_t* data(const TensorInfo& info) const override { return dataSection_ + info.begin; }
  const char* formatName() const override { return "safetensors"; }
  const std::map<std::string, std::string>& metadata() const { return metadata_; }
  uint64_t fileSize() const { return map_->size(); }
  uint64_t headerSize() const { return headerSize_; }

 private:
  explicit SafetensorsFile(std::string path) : path_(std::move(path)) {}
  void parseHeader();

  std::string path_;
  std::unique_ptr<MappedFile> map_;
  uint64_t headerSize_ = 0;
  const uint8_t* dataSection_ = nullptr;
  std::vector<TensorInfo> tensors_;
  std::map<std::string, std::string> metadata_;
};

// Builds one .safetensors file. Tensors are laid out by element size, largest first, so each one
// starts at a multiple of its element size (the data section starts 8-byte aligned).
class SafetensorsWriter {
 public:
  // Copies the bytes. Throws svgen::InputError for an empty or duplicate name, "__metadata__", a
  // negative dimension, or nbytes that does not match shape × element size.
  void add(const std::string& name, DType dtype, std::vector<int64_t> shape, const void* data,
           size_t nbytes);
  // Same checks, but only keeps the pointer: the bytes must stay alive until write() returns.
  void addView(const std::string& name, DType dtype, std::vector<int64_t> shape, const void* data,
               size_t nbytes);
  void setMetadata(const std::string& key, const std::string& value) { metadata_[key] = value; }

  // Writes through an AtomicFile (core/io/atomic_file.h): a temporary file beside `path`, flushed
  // to disk and renamed over `path`, so `path` holds either its old content or the new file. Throws
  // svgen::RuntimeFailure naming the path and the system's reason (no such folder, disk full, ...)
  // and removes the temporary file. An existing `path` that is not a regular file (a device, a
  // pipe) is written in place instead; a symbolic link is followed and its target replaced.
  void write(const std::string& path) const;

  size_t size() const { return entries_.size(); }
  uint64_t dataBytes() const;

 private:
  struct Entry {
    TensorInfo info;  // begin/end unused until write()
    const uint8_t* data = nullptr;
    std::vector<uint8_t> owned;
  };
  Entry& addEntry(const std::string& name, DType dtype, std::vector<int64_t> shape, size_t nbytes);

  std::vector<Entry> entries_;
  std::unordered_map<std::string, size_t> index_;
  std::map<std::string, std::string> metadata_;
};

// A set of tensors stored in one file, in shards listed by a `*.safetensors.index.json`, or in a
// folder. Copies share the mapped files.
class Checkpoint {
 public:
  // `path` may be:
  //  - a .safetensors file;
  //  - a Hugging Face index (`*.json`) whose "weight_map" maps tensor name → shard file, relative
  //    to the index's folder; every shard must exist and hold the tensors the map puts in it;
  //  - a folder: its *.safetensors.index.json if it holds one (two is ambiguous and an error),
  //    otherwise all its *.safetensors files as one set (a name in two files is an error).
  // Throws svgen::InputError naming the file at fault.
  static Checkpoint open(const std::string& path);

  const std::string& path() const { return path_; }
  std::vector<std::string> names() const;  // sorted
  size_t size() const { return entries_.size(); }
  bool contains(const std::string& name) const { return entries_.count(name) != 0; }
  const TensorInfo* find(const std::string& name) const;
  // The file holding `name`, or null.
  const SafetensorsFile* fileOf(const std::string& name) const;
  // Throws svgen::InputError naming the checkpoint when `name` is not in it.
  const uint8_t* data(const std::string& name) const;
  const std::vector<std::shared_ptr<SafetensorsFile>>& files() const { return files_; }
  // The files' "__metadata__" merged, the first file listed winning a clash.
  std::map<std::string, std::string> metadata() const;

 private:
  struct Entry {
    const SafetensorsFile* file;
    const TensorInfo* info;
  };
  void addFile(std::shared_ptr<SafetensorsFile> file);

  std::string path_;
  std::vector<std::shared_ptr<SafetensorsFile>> files_;
  std::map<std::string, Entry> entries_;
};

// A tensor to write without copying it; the bytes must outlive the call they are passed to.
struct TensorRef {
  std::string name;
  DType dtype = DType::F32;
  std::vector<int64_t> shape;
  const void* data = nullptr;
  size_t nbytes = 0;
};

// Writes `tensors` into `dir` as Hugging Face shards `basename-00001-of-0000N.safetensors`, each
// file (header included) at most maxShardBytes unless one tensor alone is larger, plus
// `basename.safetensors.index.json` ({"metadata": {"total_size": ...}, "weight_map": {...}}).
// Tensors keep their order across shards. When everything fits in one file it writes just
// `basename.safetensors`. `metadata` goes into every file's header. Files a previous write left
// under the same basename in the other layout or with another shard count are removed afterwards,
// so opening `dir` as a folder cannot mix two checkpoints. Returns the files written, index last.
// Throws svgen::InputError for bad tensors, svgen::RuntimeFailure for I/O errors.
std::vector<std::string> writeSharded(const std::string& dir, const std::string& basename,
                                      const std::vector<TensorRef>& tensors, uint64_t maxShardBytes,
                                      const std::map<std::string, std::string>& metadata = {});

}  // namespace svgen
