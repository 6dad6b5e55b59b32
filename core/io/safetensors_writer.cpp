#include "core/io/safetensors.h"

#include "core/common/error.h"
#include "core/common/string_affixes.h"
#include "core/common/tensor_shape_text.h"
#include "core/io/atomic_file.h"
#include "core/io/safetensors_internal.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <set>
#include <utility>
#include <regex>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace fs = std::filesystem;
using json = nlohmann::json;

namespace svgen {

using namespace safetensors_detail;

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
  if (dtypeSize(dtype) == 0) {
    throw InputError("safetensors: tensor " + inQuotes(name) + ": " + dtypeName(dtype) +
                     " is a GGUF block type, which safetensors files cannot hold");
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

}  // namespace svgen
