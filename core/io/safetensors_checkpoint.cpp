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

namespace fs = std::filesystem;
using json = nlohmann::json;

namespace svgen {

using namespace safetensors_detail;

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

}  // namespace svgen
