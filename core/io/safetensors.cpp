#include "core/io/safetensors.h"

#include "core/common/error.h"
#include "core/common/string_affixes.h"
#include "core/common/tensor_shape_text.h"
#include "core/io/atomic_file.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <regex>
#include <set>
#include <utility>

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

// Tensor bytes are handed out as they lie in the file, which the format defines as little endian.
#if !defined(__BYTE_ORDER__) || __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "safetensors I/O assumes a little-endian host"
#endif

namespace fs = std::filesystem;
using json = nlohmann::json;

namespace svgen {

namespace {

// Real headers are kilobytes to a few megabytes; the cap keeps a corrupt length from asking for
// gigabytes of JSON parsing.
constexpr uint64_t kMaxHeaderBytes = 100ull * 1000 * 1000;
constexpr const char* kMetadataKey = "__metadata__";

std::string inQuotes(const std::string& s) {
  return "\"" + s + "\"";
}

[[noreturn]] void fail(const std::string& path, const std::string& what) {
  throw InputError(path + ": " + what);
}

[[noreturn]] void failTensor(const std::string& path, const std::string& name,
                             const std::string& what) {
  throw InputError(path + ": tensor " + inQuotes(name) + ": " + what);
}

std::string errnoText(int err) {
  return std::strerror(err);
}

// Checked a × b; false on overflow.
bool mulOverflow(uint64_t a, uint64_t b, uint64_t& out) {
  return __builtin_mul_overflow(a, b, &out);
}

// nlohmann keeps the last of two equal keys silently; a duplicated tensor name would then hide
// bytes from the overlap check, so find duplicates while parsing.
json parseRejectingDuplicates(const char* begin, const char* end, std::string& duplicate) {
  std::vector<std::set<std::string>> open;
  json::parser_callback_t callback = [&](int, json::parse_event_t event, json& parsed) {
    switch (event) {
      case json::parse_event_t::object_start:
        open.emplace_back();
        break;
      case json::parse_event_t::object_end:
        if (!open.empty()) open.pop_back();
        break;
      case json::parse_event_t::key:
        if (!open.empty() && parsed.is_string() &&
            !open.back().insert(parsed.get<std::string>()).second && duplicate.empty()) {
          duplicate = parsed.get<std::string>();
        }
        break;
      default:
        break;
    }
    return true;
  };
  return json::parse(begin, end, callback, /*allow_exceptions=*/true);
}

// The part of nlohmann's message after its "[json.exception...]" tag.
std::string jsonReason(const std::exception& e) {
  std::string s = e.what();
  auto close = s.find("] ");
  return close == std::string::npos ? s : s.substr(close + 2);
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// dtypes

size_t dtypeSize(DType dtype) {
  switch (dtype) {
    case DType::F32:
      return 4;
    case DType::F16:
      return 2;
    case DType::BF16:
      return 2;
    case DType::I64:
      return 8;
    case DType::I32:
      return 4;
    case DType::U8:
      return 1;
  }
  return 0;
}

const char* dtypeName(DType dtype) {
  switch (dtype) {
    case DType::F32:
      return "F32";
    case DType::F16:
      return "F16";
    case DType::BF16:
      return "BF16";
    case DType::I64:
      return "I64";
    case DType::I32:
      return "I32";
    case DType::U8:
      return "U8";
  }
  return "?";
}

bool parseDType(const std::string& name, DType& out) {
  static const std::pair<const char*, DType> kNames[] = {
      {"F32", DType::F32}, {"F16", DType::F16}, {"BF16", DType::BF16},
      {"I64", DType::I64}, {"I32", DType::I32}, {"U8", DType::U8},
  };
  for (const auto& [n, d] : kNames) {
    if (name == n) {
      out = d;
      return true;
    }
  }
  return false;
}

DType dtypeFromName(const std::string& name) {
  DType d;
  if (!parseDType(name, d)) {
    throw InputError("unknown dtype " + inQuotes(name) +
                     " (supported: F32, F16, BF16, I64, I32, U8)");
  }
  return d;
}

int64_t TensorInfo::numel() const {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  return n;
}

// ---------------------------------------------------------------------------------------------
// Reading

std::shared_ptr<SafetensorsFile> SafetensorsFile::open(const std::string& path) {
  std::shared_ptr<SafetensorsFile> file(new SafetensorsFile(path));
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) fail(path, "cannot open: " + errnoText(errno));
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    int err = errno;
    ::close(fd);
    fail(path, "cannot read: " + errnoText(err));
  }
  if (!S_ISREG(st.st_mode)) {
    ::close(fd);
    fail(path, "not a regular file");
  }
  file->size_ = static_cast<uint64_t>(st.st_size);
  if (file->size_ < 8) {
    ::close(fd);
    fail(path, "truncated: " + std::to_string(file->size_) +
                   " bytes, too short for the 8-byte header length of a safetensors file");
  }
  void* map = ::mmap(nullptr, file->size_, PROT_READ, MAP_PRIVATE, fd, 0);
  int err = errno;
  ::close(fd);  // the mapping keeps the file alive
  if (map == MAP_FAILED) fail(path, "cannot map: " + errnoText(err));
  file->map_ = map;
  file->parseHeader();
  return file;
}

SafetensorsFile::~SafetensorsFile() {
  if (map_) ::munmap(map_, size_);
}

void SafetensorsFile::parseHeader() {
  const auto* bytes = static_cast<const uint8_t*>(map_);
  uint64_t n = 0;
  for (int i = 7; i >= 0; --i) n = (n << 8) | bytes[i];
  if (n > size_ - 8) {
    fail(path_, "truncated or not a safetensors file: header length " + std::to_string(n) +
                    " exceeds the " + std::to_string(size_ - 8) + " bytes after it");
  }
  if (n > kMaxHeaderBytes) {
    fail(path_, "header length " + std::to_string(n) + " exceeds the limit of " +
                    std::to_string(kMaxHeaderBytes) + " bytes");
  }
  headerSize_ = n;
  dataSection_ = bytes + 8 + n;
  const uint64_t dataSize = size_ - 8 - n;

  const char* text = reinterpret_cast<const char*>(bytes + 8);
  json header;
  std::string duplicate;
  try {
    header = parseRejectingDuplicates(text, text + n, duplicate);
  } catch (const json::exception& e) {
    fail(path_, "header is not valid JSON (truncated or not a safetensors file): " + jsonReason(e));
  }
  if (!header.is_object()) {
    fail(path_, std::string("header is JSON but not an object (it is ") + header.type_name() + ")");
  }
  if (!duplicate.empty()) fail(path_, "header names " + inQuotes(duplicate) + " twice");

  tensors_.reserve(header.size());
  for (const auto& [name, entry] : header.items()) {
    if (name == kMetadataKey) {
      if (!entry.is_object()) fail(path_, "\"__metadata__\" is not a JSON object");
      for (const auto& [key, value] : entry.items()) {
        if (!value.is_string()) {
          fail(path_, "\"__metadata__\" entry " + inQuotes(key) + " is not a string (it is " +
                          value.type_name() + ")");
        }
        metadata_[key] = value.get<std::string>();
      }
      continue;
    }
    if (!entry.is_object()) {
      failTensor(path_, name,
                 std::string("entry is not a JSON object (it is ") + entry.type_name() + ")");
    }
    TensorInfo info;
    info.name = name;

    auto dtype = entry.find("dtype");
    if (dtype == entry.end() || !dtype->is_string()) {
      failTensor(path_, name, "missing or non-string \"dtype\"");
    }
    if (!parseDType(dtype->get<std::string>(), info.dtype)) {
      failTensor(path_, name,
                 "unknown dtype " + inQuotes(dtype->get<std::string>()) +
                     " (supported: F32, F16, BF16, I64, I32, U8)");
    }

    auto shape = entry.find("shape");
    if (shape == entry.end() || !shape->is_array()) {
      failTensor(path_, name, "missing or non-array \"shape\"");
    }
    uint64_t numel = 1;
    for (const auto& dim : *shape) {
      // nlohmann types a non-negative integer literal as unsigned, a negative one as integer and
      // anything with a fraction or exponent (or too large for 64 bits) as float.
      if (!dim.is_number_unsigned()) {
        failTensor(path_, name,
                   "shape " + shape->dump() + " has an entry that is not a non-negative integer");
      }
      uint64_t d = dim.get<uint64_t>();
      if (d > static_cast<uint64_t>(INT64_MAX) || mulOverflow(numel, d, numel)) {
        failTensor(path_, name, "shape " + shape->dump() + " is too large");
      }
      info.shape.push_back(static_cast<int64_t>(d));
    }
    uint64_t needed = 0;
    if (mulOverflow(numel, dtypeSize(info.dtype), needed)) {
      failTensor(path_, name, "shape " + shape->dump() + " is too large");
    }

    auto offsets = entry.find("data_offsets");
    if (offsets == entry.end() || !offsets->is_array() || offsets->size() != 2 ||
        !(*offsets)[0].is_number_unsigned() || !(*offsets)[1].is_number_unsigned()) {
      failTensor(path_, name, "\"data_offsets\" must be two non-negative integers");
    }
    info.begin = (*offsets)[0].get<uint64_t>();
    info.end = (*offsets)[1].get<uint64_t>();
    const std::string range =
        "data_offsets [" + std::to_string(info.begin) + ", " + std::to_string(info.end) + ")";
    if (info.begin > info.end) failTensor(path_, name, range + " begin after end");
    if (info.end > dataSize) {
      failTensor(path_, name,
                 range + " extend beyond the data section of " + std::to_string(dataSize) +
                     " bytes (file truncated?)");
    }
    if (info.end - info.begin != needed) {
      failTensor(path_, name,
                 range + " hold " + std::to_string(info.end - info.begin) + " bytes but shape " +
                     shapeText(info.shape) + " of " + dtypeName(info.dtype) + " needs " +
                     std::to_string(needed));
    }
    tensors_.push_back(std::move(info));
  }

  // Two tensors sharing bytes would alias each other once loaded.
  std::vector<const TensorInfo*> byOffset;
  for (const auto& t : tensors_) {
    if (t.end > t.begin) byOffset.push_back(&t);
  }
  std::sort(byOffset.begin(), byOffset.end(), [](const TensorInfo* a, const TensorInfo* b) {
    return a->begin != b->begin ? a->begin < b->begin : a->end < b->end;
  });
  for (size_t i = 1; i < byOffset.size(); ++i) {
    const TensorInfo& prev = *byOffset[i - 1];
    const TensorInfo& cur = *byOffset[i];
    if (cur.begin < prev.end) {
      failTensor(path_, cur.name,
                 "data_offsets [" + std::to_string(cur.begin) + ", " + std::to_string(cur.end) +
                     ") overlap those of tensor " + inQuotes(prev.name) + " [" +
                     std::to_string(prev.begin) + ", " + std::to_string(prev.end) + ")");
    }
  }
  // header.items() already walked the keys in sorted order, so tensors_ is sorted by name.
}

std::vector<std::string> SafetensorsFile::names() const {
  std::vector<std::string> out;
  out.reserve(tensors_.size());
  for (const auto& t : tensors_) out.push_back(t.name);
  return out;
}

const TensorInfo* SafetensorsFile::find(const std::string& name) const {
  auto it = std::lower_bound(tensors_.begin(), tensors_.end(), name,
                             [](const TensorInfo& t, const std::string& n) { return t.name < n; });
  return it != tensors_.end() && it->name == name ? &*it : nullptr;
}

// ---------------------------------------------------------------------------------------------
// Writing

namespace {

// Writes through `write(FILE*)` to `path` all or nothing (see SafetensorsWriter::write).
template <typename Fn>
void writeReplacing(const std::string& path, Fn&& write) {
  std::string target = path;
  struct stat st {};
  if (::lstat(path.c_str(), &st) == 0 && S_ISLNK(st.st_mode)) {
    // Replace what the link points to, not the link.
    std::error_code ec;
    fs::path resolved = fs::canonical(path, ec);
    if (!ec) target = resolved.string();
  }
  if (::stat(target.c_str(), &st) == 0 && !S_ISREG(st.st_mode)) {
    // A device or pipe cannot be renamed over, and replacing its node would be wrong.
    FILE* f = std::fopen(target.c_str(), "wb");
    if (!f) throw RuntimeFailure(ioErrorMessage("cannot open", path, errno));
    try {
      write(f);
    } catch (...) {
      std::fclose(f);
      throw;
    }
    int err = std::fflush(f) != 0 ? errno : 0;
    if (std::fclose(f) != 0 && !err) err = errno;
    if (err) throw RuntimeFailure(ioErrorMessage("cannot write", path, err));
    return;
  }
  AtomicFile file(target);  // removes its temporary file if anything below throws
  write(file.stream());
  file.commit();
}

void writeAll(FILE* f, const void* data, size_t n, const std::string& path) {
  if (n > 0 && std::fwrite(data, 1, n, f) != n) {
    throw RuntimeFailure(ioErrorMessage("cannot write", path, errno));
  }
}

// nlohmann refuses to serialise invalid UTF-8; say which input was at fault.
std::string dumpJson(const json& j) {
  try {
    return j.dump();
  } catch (const json::exception& e) {
    throw InputError("safetensors: tensor names and metadata must be valid UTF-8: " +
                     jsonReason(e));
  }
}

json tensorEntry(const TensorInfo& info) {
  json e = json::object();
  e["dtype"] = dtypeName(info.dtype);
  e["shape"] = json::array();
  for (int64_t d : info.shape) e["shape"].push_back(d);
  e["data_offsets"] = json::array({info.begin, info.end});
  return e;
}

// Larger elements first keeps every tensor aligned to its element size without padding.
bool layoutBefore(DType a, const std::string& na, DType b, const std::string& nb) {
  if (dtypeSize(a) != dtypeSize(b)) return dtypeSize(a) > dtypeSize(b);
  return na < nb;
}

// The header's byte string, padded with spaces to a multiple of 8 as the reference writer does.
std::string headerBytes(const std::vector<TensorInfo>& infos,
                        const std::map<std::string, std::string>& metadata) {
  json header = json::object();  // std::map underneath: keys come out sorted
  if (!metadata.empty()) header[kMetadataKey] = metadata;
  for (const auto& info : infos) header[info.name] = tensorEntry(info);
  std::string text = dumpJson(header);
  text.append((8 - text.size() % 8) % 8, ' ');
  return text;
}

void checkTensor(const std::string& name, DType dtype, const std::vector<int64_t>& shape,
                 size_t nbytes) {
  if (name.empty()) throw InputError("safetensors: a tensor needs a non-empty name");
  if (name == kMetadataKey) throw InputError("safetensors: \"__metadata__\" is not a tensor name");
  uint64_t numel = 1;
  for (int64_t d : shape) {
    if (d < 0 || mulOverflow(numel, static_cast<uint64_t>(d), numel)) {
      throw InputError("safetensors: tensor " + inQuotes(name) + ": invalid shape " +
                       shapeText(shape));
    }
  }
  uint64_t needed = 0;
  if (mulOverflow(numel, dtypeSize(dtype), needed) || needed != nbytes) {
    throw InputError("safetensors: tensor " + inQuotes(name) + ": " + std::to_string(nbytes) +
                     " bytes given but shape " + shapeText(shape) + " of " + dtypeName(dtype) +
                     " needs " + std::to_string(needed));
  }
}

}  // namespace

SafetensorsWriter::Entry& SafetensorsWriter::addEntry(const std::string& name, DType dtype,
                                                      std::vector<int64_t> shape, size_t nbytes) {
  checkTensor(name, dtype, shape, nbytes);
  if (index_.count(name)) {
    throw InputError("safetensors: tensor " + inQuotes(name) + " added twice");
  }
  index_[name] = entries_.size();
  Entry& e = entries_.emplace_back();
  e.info.name = name;
  e.info.dtype = dtype;
  e.info.shape = std::move(shape);
  e.info.end = nbytes;
  return e;
}

void SafetensorsWriter::add(const std::string& name, DType dtype, std::vector<int64_t> shape,
                            const void* data, size_t nbytes) {
  Entry& e = addEntry(name, dtype, std::move(shape), nbytes);
  const auto* p = static_cast<const uint8_t*>(data);
  e.owned.assign(p, p + nbytes);
  e.data = e.owned.data();
}

void SafetensorsWriter::addView(const std::string& name, DType dtype, std::vector<int64_t> shape,
                                const void* data, size_t nbytes) {
  Entry& e = addEntry(name, dtype, std::move(shape), nbytes);
  e.data = static_cast<const uint8_t*>(data);
}

uint64_t SafetensorsWriter::dataBytes() const {
  uint64_t total = 0;
  for (const auto& e : entries_) total += e.info.end;
  return total;
}

void SafetensorsWriter::write(const std::string& path) const {
  std::vector<const Entry*> order;
  order.reserve(entries_.size());
  for (const auto& e : entries_) order.push_back(&e);
  std::sort(order.begin(), order.end(), [](const Entry* a, const Entry* b) {
    return layoutBefore(a->info.dtype, a->info.name, b->info.dtype, b->info.name);
  });
  std::vector<TensorInfo> infos;
  infos.reserve(order.size());
  uint64_t offset = 0;
  for (const Entry* e : order) {
    TensorInfo info = e->info;
    info.begin = offset;
    info.end = offset + e->info.end;  // addEntry stored nbytes in end
    offset = info.end;
    infos.push_back(std::move(info));
  }
  const std::string header = headerBytes(infos, metadata_);

  uint8_t length[8];
  for (int i = 0; i < 8; ++i) length[i] = static_cast<uint8_t>(uint64_t{header.size()} >> (8 * i));
  writeReplacing(path, [&](FILE* f) {
    writeAll(f, length, 8, path);
    writeAll(f, header.data(), header.size(), path);
    for (const Entry* e : order) writeAll(f, e->data, e->info.end, path);
  });
}

// ---------------------------------------------------------------------------------------------
// Checkpoints

void Checkpoint::addFile(std::shared_ptr<SafetensorsFile> file) {
  for (const auto& t : file->tensors()) {
    auto [it, inserted] = entries_.emplace(t.name, Entry{file.get(), &t});
    if (!inserted) {
      throw InputError(path_ + ": tensor " + inQuotes(t.name) + " is in both " +
                       it->second.file->path() + " and " + file->path());
    }
  }
  files_.push_back(std::move(file));
}

Checkpoint Checkpoint::open(const std::string& path) {
  Checkpoint ck;
  ck.path_ = path;
  std::error_code ec;
  fs::file_status status = fs::status(path, ec);
  if (ec || !fs::exists(status)) fail(path, "no such file or folder");

  std::string indexPath;
  if (fs::is_directory(status)) {
    std::vector<std::string> indexes, singles;
    for (const auto& entry : fs::directory_iterator(path, ec)) {
      if (!entry.is_regular_file(ec)) continue;
      std::string name = entry.path().filename().string();
      if (endsWith(name, ".safetensors.index.json")) indexes.push_back(entry.path().string());
      if (endsWith(name, ".safetensors")) singles.push_back(entry.path().string());
    }
    if (ec) fail(path, "cannot list the folder: " + ec.message());
    std::sort(indexes.begin(), indexes.end());
    std::sort(singles.begin(), singles.end());
    if (indexes.size() > 1) {
      fail(path, "the folder holds several checkpoint indexes (" + indexes[0] + ", " + indexes[1] +
                     "); open one of them");
    }
    if (indexes.empty()) {
      if (singles.empty()) fail(path, "the folder holds no .safetensors file");
      for (const auto& f : singles) ck.addFile(SafetensorsFile::open(f));
      return ck;
    }
    indexPath = indexes[0];
  } else if (endsWith(path, ".json")) {
    indexPath = path;
  } else {
    ck.addFile(SafetensorsFile::open(path));
    return ck;
  }

  // A sharded checkpoint: the index says which shard holds which tensor.
  std::string text;
  {
    FILE* f = std::fopen(indexPath.c_str(), "rb");
    if (!f) fail(indexPath, "cannot open: " + errnoText(errno));
    char buf[65536];
    size_t n;
    while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) text.append(buf, n);
    bool bad = std::ferror(f);
    std::fclose(f);
    if (bad) fail(indexPath, "cannot read");
  }
  json index;
  try {
    index = json::parse(text);
  } catch (const json::exception& e) {
    fail(indexPath, "not valid JSON: " + jsonReason(e));
  }
  if (!index.is_object()) fail(indexPath, "not a JSON object");
  auto map = index.find("weight_map");
  if (map == index.end() || !map->is_object()) fail(indexPath, "has no \"weight_map\" object");

  const fs::path folder = fs::path(indexPath).parent_path();
  std::map<std::string, std::vector<std::string>> byShard;  // shard file -> tensor names
  for (const auto& [name, shard] : map->items()) {
    if (!shard.is_string()) {
      failTensor(indexPath, name, "weight_map entry is not a file name string");
    }
    std::string file = shard.get<std::string>();
    fs::path rel(file);
    bool escapes = rel.is_absolute() || file.empty() ||
                   std::any_of(rel.begin(), rel.end(), [](const fs::path& p) { return p == ".."; });
    if (escapes) {
      failTensor(indexPath, name,
                 "shard " + inQuotes(file) + " is not a file inside the index's folder");
    }
    byShard[file].push_back(name);
  }
  for (const auto& [file, names] : byShard) {
    fs::path shardPath = folder / file;
    if (!fs::exists(shardPath, ec)) {
      fail(indexPath, "shard " + inQuotes(file) + " (holding tensor " + inQuotes(names.front()) +
                          ") is missing: " + shardPath.string() + " does not exist");
    }
    auto st = SafetensorsFile::open(shardPath.string());
    for (const auto& name : names) {
      const TensorInfo* info = st->find(name);
      if (!info) {
        fail(indexPath, "tensor " + inQuotes(name) + " is mapped to " + inQuotes(file) +
                            " but that shard does not hold it");
      }
      ck.entries_.emplace(name, Entry{st.get(), info});
    }
    ck.files_.push_back(std::move(st));
  }
  return ck;
}

std::vector<std::string> Checkpoint::names() const {
  std::vector<std::string> out;
  out.reserve(entries_.size());
  for (const auto& [name, e] : entries_) out.push_back(name);
  return out;
}

const TensorInfo* Checkpoint::find(const std::string& name) const {
  auto it = entries_.find(name);
  return it == entries_.end() ? nullptr : it->second.info;
}

const SafetensorsFile* Checkpoint::fileOf(const std::string& name) const {
  auto it = entries_.find(name);
  return it == entries_.end() ? nullptr : it->second.file;
}

const uint8_t* Checkpoint::data(const std::string& name) const {
  auto it = entries_.find(name);
  if (it == entries_.end()) fail(path_, "has no tensor " + inQuotes(name));
  return it->second.file->data(*it->second.info);
}

std::map<std::string, std::string> Checkpoint::metadata() const {
  std::map<std::string, std::string> out;
  for (const auto& f : files_) out.insert(f->metadata().begin(), f->metadata().end());
  return out;
}

// ---------------------------------------------------------------------------------------------
// Sharded writing

namespace {

// An upper bound on the header bytes one tensor adds: its entry with 20-digit offsets.
uint64_t headerCost(const TensorRef& t) {
  TensorInfo info;
  info.dtype = t.dtype;
  info.shape = t.shape;
  info.begin = info.end = UINT64_MAX;
  return dumpJson(json(t.name)).size() + tensorEntry(info).dump().size() + 2;  // ':' and ','
}

std::string shardName(const std::string& basename, size_t i, size_t n) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "-%05zu-of-%05zu.safetensors", i, n);
  return basename + buf;
}

}  // namespace

std::vector<std::string> writeSharded(const std::string& dir, const std::string& basename,
                                      const std::vector<TensorRef>& tensors, uint64_t maxShardBytes,
                                      const std::map<std::string, std::string>& metadata) {
  // 8-byte length, braces, metadata entry, padding.
  const uint64_t fixed =
      8 + 2 + 7 + (metadata.empty() ? 0 : dumpJson(json(metadata)).size() + 16 + 1);
  std::set<std::string> seen;
  std::vector<std::vector<const TensorRef*>> shards(1);
  uint64_t used = fixed;
  for (const auto& t : tensors) {
    checkTensor(t.name, t.dtype, t.shape, t.nbytes);
    if (!seen.insert(t.name).second) {
      throw InputError("safetensors: tensor " + inQuotes(t.name) + " given twice");
    }
    uint64_t cost = headerCost(t) + t.nbytes;
    if (!shards.back().empty() && used + cost > maxShardBytes) {
      shards.emplace_back();
      used = fixed;
    }
    shards.back().push_back(&t);
    used += cost;
  }

  const fs::path folder(dir);
  const std::string single = basename + ".safetensors";
  const std::string indexName = basename + ".safetensors.index.json";
  auto writeShard = [&](const std::vector<const TensorRef*>& refs, const fs::path& file) {
    SafetensorsWriter w;
    for (const TensorRef* t : refs) w.addView(t->name, t->dtype, t->shape, t->data, t->nbytes);
    for (const auto& [k, v] : metadata) w.setMetadata(k, v);
    w.write(file.string());
  };

  std::vector<std::string> written;
  std::set<std::string> keep;
  if (shards.size() == 1) {
    writeShard(shards[0], folder / single);
    written.push_back((folder / single).string());
    keep.insert(single);
  } else {
    json weightMap = json::object();
    uint64_t total = 0;
    for (size_t i = 0; i < shards.size(); ++i) {
      std::string name = shardName(basename, i + 1, shards.size());
      writeShard(shards[i], folder / name);
      written.push_back((folder / name).string());
      keep.insert(name);
      for (const TensorRef* t : shards[i]) {
        weightMap[t->name] = name;
        total += t->nbytes;
      }
    }
    json index = {{"metadata", {{"total_size", total}}}, {"weight_map", weightMap}};
    writeFileAtomically((folder / indexName).string(), index.dump(2) + "\n");
    written.push_back((folder / indexName).string());
    keep.insert(indexName);
  }

  // Leftovers of an earlier write under this basename would make the folder ambiguous.
  std::error_code ec;
  const std::regex shardPattern("-[0-9]{5}-of-[0-9]{5}\\.safetensors");
  for (const auto& entry : fs::directory_iterator(folder, ec)) {
    std::string name = entry.path().filename().string();
    if (keep.count(name)) continue;
    bool stale = name == single || name == indexName;
    if (!stale && name.compare(0, basename.size(), basename) == 0) {
      stale = std::regex_match(name.substr(basename.size()), shardPattern);
    }
    if (stale) fs::remove(entry.path(), ec);
  }
  return written;
}

// ---------------------------------------------------------------------------------------------
// 16-bit floats

namespace {

uint32_t floatBits(float f) {
  uint32_t u;
  std::memcpy(&u, &f, 4);
  return u;
}

float bitsFloat(uint32_t u) {
  float f;
  std::memcpy(&f, &u, 4);
  return f;
}

}  // namespace

float bf16ToFloat(uint16_t bits) {
  return bitsFloat(static_cast<uint32_t>(bits) << 16);
}

uint16_t floatToBf16(float value) {
  uint32_t u = floatBits(value);
  if ((u & 0x7fffffffu) > 0x7f800000u) {
    // Truncating could clear every payload bit and turn the NaN into infinity.
    return static_cast<uint16_t>((u >> 16) | 0x0040u);
  }
  // Adding 0x7fff plus the lowest kept bit rounds ties to even; overflow carries into infinity.
  u += 0x7fffu + ((u >> 16) & 1u);
  return static_cast<uint16_t>(u >> 16);
}

float halfToFloat(uint16_t bits) {
  const uint32_t sign = static_cast<uint32_t>(bits & 0x8000u) << 16;
  const uint32_t exp = (bits >> 10) & 0x1fu;
  const uint32_t mant = bits & 0x3ffu;
  if (exp == 0) {
    // Zero or subnormal: mant × 2^-24, exact in float.
    float v = static_cast<float>(mant) * (1.0f / 16777216.0f);
    return sign ? -v : v;
  }
  if (exp == 31) return bitsFloat(sign | 0x7f800000u | (mant << 13));
  return bitsFloat(sign | ((exp + 112) << 23) | (mant << 13));
}

uint16_t floatToHalf(float value) {
  uint32_t u = floatBits(value);
  const uint16_t sign = static_cast<uint16_t>((u >> 16) & 0x8000u);
  u &= 0x7fffffffu;
  if (u > 0x7f800000u) return sign | 0x7e00u | static_cast<uint16_t>((u >> 13) & 0x3ffu);
  if (u >= 0x477ff000u) return sign | 0x7c00u;  // >= 65520 rounds past the largest half, 65504
  if (u < 0x38800000u) {
    // Below 2^-14 the result is subnormal: round value / 2^-24 to an integer.
    const uint32_t exp = u >> 23;
    if (exp < 102) return sign;  // below 2^-25, half the smallest subnormal
    const uint32_t mant = (u & 0x7fffffu) | 0x800000u;
    const uint32_t shift = 126 - exp;  // 14..24
    uint32_t h = mant >> shift;
    const uint32_t rem = mant & ((1u << shift) - 1);
    const uint32_t halfway = 1u << (shift - 1);
    if (rem > halfway || (rem == halfway && (h & 1u))) ++h;  // may carry into the smallest normal
    return sign | static_cast<uint16_t>(h);
  }
  uint32_t h = (u >> 13) - (112u << 10);  // rebias the exponent from 127 to 15
  const uint32_t rem = u & 0x1fffu;
  if (rem > 0x1000u || (rem == 0x1000u && (h & 1u))) ++h;
  return sign | static_cast<uint16_t>(h);
}

}  // namespace svgen
