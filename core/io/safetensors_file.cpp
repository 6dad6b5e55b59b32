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
#include <unordered_set>
#include <utility>

namespace fs = std::filesystem;
using json = nlohmann::json;

namespace svgen {

using namespace safetensors_detail;

int64_t TensorInfo::numel() const {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  return n;
}

namespace {

// A first pass over the header without building it: nlohmann keeps the last of two equal keys
// silently (a duplicated tensor name would then hide bytes from the overlap check), a shape nested
// thousands deep overflows the stack of whatever walks it recursively later, and a header of
// 100,000 tensors is a file to refuse, not to read. Linear in the header's length, where
// nlohmann's callback parser rescans each object at every member's end (minutes at 100,000
// tensors).
class HeaderCheck : public nlohmann::json_sax<json> {
 public:
  std::string duplicate;  // the first name given twice in one object
  bool tooDeep = false;

  bool null() override { return true; }
  bool boolean(bool) override { return true; }
  bool number_integer(number_integer_t) override { return true; }
  bool number_unsigned(number_unsigned_t) override { return true; }
  bool number_float(number_float_t, const string_t&) override { return true; }
  bool string(string_t&) override { return true; }
  bool binary(binary_t&) override { return true; }
  bool start_object(std::size_t) override {
    keys_.emplace_back();
    return enter();
  }
  bool key(string_t& name) override {
    if (!keys_.back().insert(name).second && duplicate.empty()) duplicate = name;
    return true;
  }
  bool end_object() override {
    keys_.pop_back();
    --depth_;
    return true;
  }
  bool start_array(std::size_t) override { return enter(); }
  bool end_array() override {
    --depth_;
    return true;
  }
  bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception& e) override {
    throw e;  // as json::parse would: the caller names the file and the reason
  }

 private:
  bool enter() {
    if (++depth_ <= kMaxHeaderDepth) return true;
    tooDeep = true;
    return false;  // stops the pass
  }
  std::vector<std::unordered_set<std::string>> keys_;
  int depth_ = 0;
};

// The members of the header's top-level object, counted without parsing it (colons at depth 1
// outside strings): a header over the tensor limit is refused before the full pass, which takes
// long at that size. Exact for valid JSON; the full pass judges the rest.
size_t topLevelMembers(const char* text, size_t n) {
  size_t count = 0;
  int depth = 0;
  bool inString = false;
  for (size_t i = 0; i < n; ++i) {
    const char c = text[i];
    if (inString) {
      if (c == '\\')
        ++i;
      else if (c == '"')
        inString = false;
      continue;
    }
    if (c == '"')
      inString = true;
    else if (c == '{' || c == '[')
      ++depth;
    else if (c == '}' || c == ']')
      --depth;
    else if (c == ':' && depth == 1)
      ++count;
  }
  return count;
}

}  // namespace

std::shared_ptr<SafetensorsFile> SafetensorsFile::open(const std::string& path) {
  std::shared_ptr<SafetensorsFile> file(new SafetensorsFile(path));
  file->map_ =
      std::make_unique<MappedFile>(path, 8, "the 8-byte header length of a safetensors file");
  file->parseHeader();
  return file;
}

void SafetensorsFile::parseHeader() {
  const uint8_t* bytes = map_->bytes();
  const uint64_t fileSize = map_->size();
  uint64_t n = 0;
  for (int i = 7; i >= 0; --i) n = (n << 8) | bytes[i];
  if (n > fileSize - 8) {
    fail(path_, "truncated or not a safetensors file: header length " + std::to_string(n) +
                    " exceeds the " + std::to_string(fileSize - 8) + " bytes after it");
  }
  if (n > kMaxHeaderBytes) {
    fail(path_, "header length " + std::to_string(n) + " exceeds the limit of " +
                    std::to_string(kMaxHeaderBytes) + " bytes");
  }
  headerSize_ = n;
  dataSection_ = bytes + 8 + n;
  const uint64_t dataSize = fileSize - 8 - n;

  const char* text = reinterpret_cast<const char*>(bytes + 8);
  const size_t members = topLevelMembers(text, n);
  if (members > kMaxTensors) {
    fail(path_, "header lists " + std::to_string(members) + " tensors, more than the " +
                    std::to_string(kMaxTensors) + " svgen reads from one file");
  }
  HeaderCheck check;
  json header;
  try {
    json::sax_parse(text, text + n, &check);
    if (check.tooDeep) {
      fail(path_, "header nests JSON more than " + std::to_string(kMaxHeaderDepth) +
                      " levels deep (a tensor's entry needs 3)");
    }
    if (!check.duplicate.empty())
      fail(path_, "header names " + inQuotes(check.duplicate) + " twice");
    header = json::parse(text, text + n);
  } catch (const json::exception& e) {
    fail(path_, "header is not valid JSON (truncated or not a safetensors file): " + jsonReason(e));
  }
  if (!header.is_object()) {
    fail(path_, std::string("header is JSON but not an object (it is ") + header.type_name() + ")");
  }

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
                     " (supported: F32, F16, BF16, F8_E4M3, F8_E5M2, I64, I32, U8)");
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

}  // namespace svgen
