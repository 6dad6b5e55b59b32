#include "core/io/gguf_file.h"

#include "core/common/error.h"
#include "core/common/tensor_shape_text.h"

#include <algorithm>
#include <cstring>
#include <fstream>
#include <limits>
#include <set>

namespace svgen {

namespace {

constexpr uint32_t kMagic = 0x46554747;  // "GGUF" read as a little-endian uint32
constexpr int kMaxDims = 4;              // GGML_MAX_DIMS
// The largest real files hold a few thousand tensors and, with a tokenizer, a few hundred
// thousand array entries; beyond these the header is refused, not allocated.
constexpr uint64_t kMaxTensors = 65536;
constexpr uint64_t kMaxKeys = 65536;
constexpr int kMaxArrayDepth = 4;
constexpr const char* kOrigShapePrefix = "comfy.gguf.orig_shape.";

std::string keyText(const std::string& s) {
  return "\"" + s + "\"";
}

// Reads the header with every read checked against the end of the file.
class Cursor {
 public:
  Cursor(const std::string& path, const uint8_t* bytes, uint64_t size)
      : path_(path), bytes_(bytes), size_(size) {}

  uint64_t pos() const { return pos_; }
  uint64_t left() const { return size_ - pos_; }

  template <typename T>
  T read(const char* what) {
    need(sizeof(T), what);
    T v;
    std::memcpy(&v, bytes_ + pos_, sizeof(T));
    pos_ += sizeof(T);
    return v;
  }

  std::string string(const char* what) {
    const uint64_t n = read<uint64_t>(what);
    need(n, what);
    std::string s(reinterpret_cast<const char*>(bytes_ + pos_), n);
    pos_ += n;
    return s;
  }

  void skip(uint64_t n, const char* what) {
    need(n, what);
    pos_ += n;
  }

  [[noreturn]] void fail(const std::string& why) const { throw InputError(path_ + ": " + why); }

 private:
  void need(uint64_t n, const char* what) const {
    if (n > left())
      fail(std::string("truncated header: ") + what + " needs " + std::to_string(n) +
           " bytes at byte " + std::to_string(pos_) + " but the file has " +
           std::to_string(left()) + " left");
  }

  const std::string& path_;
  const uint8_t* bytes_;
  uint64_t size_;
  uint64_t pos_ = 0;
};

// Bytes one element of a scalar type takes; 0 for strings and arrays (variable) and unknown types.
uint64_t scalarBytes(GgufValue::Type t) {
  using T = GgufValue::Type;
  switch (t) {
    case T::U8:
    case T::I8:
    case T::Bool:
      return 1;
    case T::U16:
    case T::I16:
      return 2;
    case T::U32:
    case T::I32:
    case T::F32:
      return 4;
    case T::U64:
    case T::I64:
    case T::F64:
      return 8;
    default:
      return 0;
  }
}

bool knownValueType(uint32_t t) {
  return t <= static_cast<uint32_t>(GgufValue::Type::F64);
}

const char* valueTypeName(GgufValue::Type t) {
  static const char* kNames[] = {"UINT8",  "INT8",    "UINT16", "INT16",  "UINT32",
                                 "INT32",  "FLOAT32", "BOOL",   "STRING", "ARRAY",
                                 "UINT64", "INT64",   "FLOAT64"};
  const auto i = static_cast<uint32_t>(t);
  return i < sizeof kNames / sizeof *kNames ? kNames[i] : "?";
}

// One scalar of type `t` (not String or Array) as an integer or a real.
void readScalar(Cursor& c, GgufValue::Type t, int64_t& integer, double& real, const char* what) {
  using T = GgufValue::Type;
  switch (t) {
    case T::U8:
      integer = c.read<uint8_t>(what);
      return;
    case T::I8:
      integer = c.read<int8_t>(what);
      return;
    case T::Bool: {
      const uint8_t b = c.read<uint8_t>(what);
      if (b > 1) c.fail(std::string(what) + ": a BOOL of value " + std::to_string(b));
      integer = b;
      return;
    }
    case T::U16:
      integer = c.read<uint16_t>(what);
      return;
    case T::I16:
      integer = c.read<int16_t>(what);
      return;
    case T::U32:
      integer = c.read<uint32_t>(what);
      return;
    case T::I32:
      integer = c.read<int32_t>(what);
      return;
    case T::U64: {
      const uint64_t u = c.read<uint64_t>(what);
      if (u > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()))
        c.fail(std::string(what) + ": UINT64 value " + std::to_string(u) + " is out of range");
      integer = static_cast<int64_t>(u);
      return;
    }
    case T::I64:
      integer = c.read<int64_t>(what);
      return;
    case T::F32:
      real = c.read<float>(what);
      return;
    case T::F64:
      real = c.read<double>(what);
      return;
    default:
      c.fail(std::string(what) + ": not a scalar type");
  }
}

GgufValue readValue(Cursor& c, uint32_t rawType, const std::string& key, int depth) {
  if (!knownValueType(rawType))
    c.fail("metadata " + keyText(key) + ": unknown value type " + std::to_string(rawType));
  GgufValue v;
  v.type = static_cast<GgufValue::Type>(rawType);
  const std::string what = "metadata " + keyText(key);
  if (v.type == GgufValue::Type::String) {
    v.text = c.string(what.c_str());
    return v;
  }
  if (v.type != GgufValue::Type::Array) {
    readScalar(c, v.type, v.integer, v.real, what.c_str());
    return v;
  }
  if (depth >= kMaxArrayDepth) c.fail(what + ": arrays nested more than 4 deep");
  const uint32_t elementType = c.read<uint32_t>(what.c_str());
  if (!knownValueType(elementType))
    c.fail(what + ": array of unknown value type " + std::to_string(elementType));
  v.elementType = static_cast<GgufValue::Type>(elementType);
  v.count = c.read<uint64_t>(what.c_str());
  // Every element takes at least one byte (a string or array at least 8), so a count past the
  // bytes left is a lie; checking first keeps a corrupt count from reserving gigabytes.
  const uint64_t minimum = std::max<uint64_t>(scalarBytes(v.elementType), 1);
  if (v.count > c.left() / minimum)
    c.fail(what + ": an array of " + std::to_string(v.count) + " elements cannot fit in the " +
           std::to_string(c.left()) + " bytes left");
  if (v.elementType == GgufValue::Type::String) {
    v.strings.reserve(v.count);
    for (uint64_t i = 0; i < v.count; ++i) v.strings.push_back(c.string(what.c_str()));
  } else if (v.elementType == GgufValue::Type::Array) {
    for (uint64_t i = 0; i < v.count; ++i)
      readValue(c, static_cast<uint32_t>(GgufValue::Type::Array), key, depth + 1);
  } else if (v.elementType == GgufValue::Type::F32 || v.elementType == GgufValue::Type::F64) {
    c.skip(v.count * scalarBytes(v.elementType), what.c_str());
  } else {
    v.integers.resize(v.count);
    double unused = 0;
    for (uint64_t i = 0; i < v.count; ++i)
      readScalar(c, v.elementType, v.integers[i], unused, what.c_str());
  }
  return v;
}

// ggml's names for the type ids GGUF files use.
const char* const kGgmlTypeNames[] = {
    "F32",   "F16",        "Q4_0",       "Q4_1",       "Q4_2",     "Q4_3",     "Q5_0",
    "Q5_1",  "Q8_0",       "Q8_1",       "Q2_K",       "Q3_K",     "Q4_K",     "Q5_K",
    "Q6_K",  "Q8_K",       "IQ2_XXS",    "IQ2_XS",     "IQ3_XXS",  "IQ1_S",    "IQ4_NL",
    "IQ3_S", "IQ2_S",      "IQ4_XS",     "I8",         "I16",      "I32",      "I64",
    "F64",   "IQ1_M",      "BF16",       "Q4_0_4_4",   "Q4_0_4_8", "Q4_0_8_8", "TQ1_0",
    "TQ2_0", "IQ4_NL_4_4", "IQ4_NL_4_8", "IQ4_NL_8_8", "MXFP4"};

// Our DType for a ggml type id, or false for one this project does not decode.
bool dtypeOfGgmlType(uint32_t type, DType& out) {
  static const std::pair<uint32_t, DType> kTypes[] = {
      {0, DType::F32},   {1, DType::F16},   {30, DType::BF16}, {2, DType::Q4_0},  {3, DType::Q4_1},
      {6, DType::Q5_0},  {7, DType::Q5_1},  {8, DType::Q8_0},  {10, DType::Q2_K}, {11, DType::Q3_K},
      {12, DType::Q4_K}, {13, DType::Q5_K}, {14, DType::Q6_K},
  };
  for (const auto& [id, dtype] : kTypes) {
    if (id == type) {
      out = dtype;
      return true;
    }
  }
  return false;
}

}  // namespace

bool hasGgufMagic(const std::string& path) {
  char magic[4] = {};
  std::ifstream in(path, std::ios::binary);
  return in.read(magic, 4) && std::memcmp(magic, "GGUF", 4) == 0;
}

std::string ggmlTypeName(uint32_t type) {
  if (type < sizeof kGgmlTypeNames / sizeof *kGgmlTypeNames) return kGgmlTypeNames[type];
  return "type " + std::to_string(type);
}

bool GgufValue::isInteger() const {
  return type != Type::String && type != Type::Array && type != Type::F32 && type != Type::F64;
}

std::string GgufValue::summary() const {
  switch (type) {
    case Type::String:
      return text;
    case Type::F32:
    case Type::F64:
      return std::to_string(real);
    case Type::Bool:
      return integer ? "true" : "false";
    case Type::Array:
      return std::string("[") + valueTypeName(elementType) + " × " + std::to_string(count) + "]";
    default:
      return std::to_string(integer);
  }
}

std::shared_ptr<GgufFile> GgufFile::open(const std::string& path) {
  std::shared_ptr<GgufFile> file(new GgufFile(path));
  file->map_ = std::make_unique<MappedFile>(path, 24, "a GGUF header (24 bytes at least)");
  file->parse();
  return file;
}

const TensorInfo* GgufFile::find(const std::string& name) const {
  auto it = std::lower_bound(tensors_.begin(), tensors_.end(), name,
                             [](const TensorInfo& t, const std::string& n) { return t.name < n; });
  return it != tensors_.end() && it->name == name ? &*it : nullptr;
}

std::string GgufFile::architecture() const {
  auto it = metadata_.find("general.architecture");
  return it != metadata_.end() && it->second.type == GgufValue::Type::String ? it->second.text
                                                                             : std::string();
}

void GgufFile::parse() {
  Cursor c(path_, map_->bytes(), map_->size());
  if (c.read<uint32_t>("the magic") != kMagic) c.fail("not a GGUF file (no \"GGUF\" magic)");
  version_ = c.read<uint32_t>("the version");
  if (version_ < 2 || version_ > 3)
    c.fail("GGUF version " + std::to_string(version_) +
           " is not supported (versions 2 and 3 are; version 1 files predate 2023 and need "
           "converting again)");
  const uint64_t tensorCount = c.read<uint64_t>("the tensor count");
  const uint64_t keyCount = c.read<uint64_t>("the metadata count");
  if (tensorCount > kMaxTensors)
    c.fail("claims " + std::to_string(tensorCount) + " tensors (more than " +
           std::to_string(kMaxTensors) + ")");
  if (keyCount > kMaxKeys)
    c.fail("claims " + std::to_string(keyCount) + " metadata keys (more than " +
           std::to_string(kMaxKeys) + ")");

  for (uint64_t i = 0; i < keyCount; ++i) {
    std::string key = c.string("a metadata key");
    const uint32_t type = c.read<uint32_t>("a metadata type");
    GgufValue value = readValue(c, type, key, 0);
    if (!metadata_.emplace(key, std::move(value)).second)
      c.fail("metadata key " + keyText(key) + " appears twice");
  }
  if (auto it = metadata_.find("general.alignment"); it != metadata_.end()) {
    const GgufValue& a = it->second;
    if (!a.isInteger() || a.integer <= 0 || (a.integer & (a.integer - 1)) != 0 ||
        a.integer > (1 << 20))
      c.fail("general.alignment " + a.summary() + " is not a power of two up to 1 MiB");
    alignment_ = static_cast<uint64_t>(a.integer);
  }

  struct Raw {
    std::string name;
    std::vector<int64_t> ggufDims;
    uint32_t type;
    uint64_t offset;
  };
  std::vector<Raw> raw;
  raw.reserve(tensorCount);
  for (uint64_t i = 0; i < tensorCount; ++i) {
    Raw r;
    r.name = c.string("a tensor name");
    const std::string what = "tensor " + keyText(r.name);
    const uint32_t dims = c.read<uint32_t>(what.c_str());
    if (dims == 0 || dims > kMaxDims)
      c.fail(what + ": " + std::to_string(dims) + " dimensions (GGUF allows 1 to 4)");
    for (uint32_t d = 0; d < dims; ++d) {
      const uint64_t n = c.read<uint64_t>(what.c_str());
      if (n > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()))
        c.fail(what + ": dimension " + std::to_string(n) + " is out of range");
      r.ggufDims.push_back(static_cast<int64_t>(n));
    }
    r.type = c.read<uint32_t>(what.c_str());
    r.offset = c.read<uint64_t>(what.c_str());
    raw.push_back(std::move(r));
  }

  const uint64_t headerEnd = c.pos();
  const uint64_t dataStart = (headerEnd + alignment_ - 1) / alignment_ * alignment_;
  if (dataStart > map_->size())
    c.fail("truncated: the data section would start at byte " + std::to_string(dataStart) +
           " but the file has " + std::to_string(map_->size()));
  dataSection_ = map_->bytes() + dataStart;
  const uint64_t dataSize = map_->size() - dataStart;

  std::set<std::string> names;
  for (const Raw& r : raw) {
    const std::string what = "tensor " + keyText(r.name);
    if (!names.insert(r.name).second) c.fail(what + " appears twice");
    TensorInfo info;
    info.name = r.name;
    if (!dtypeOfGgmlType(r.type, info.dtype))
      c.fail(what + ": GGUF type " + ggmlTypeName(r.type) +
             " is not supported (supported: F32, F16, BF16, Q8_0, Q6_K, Q5_K, Q5_1, Q5_0, Q4_K, "
             "Q4_1, Q4_0, Q3_K, Q2_K)");
    const DTypeBlock block = dtypeBlock(info.dtype);
    if (r.ggufDims[0] % block.elements != 0)
      c.fail(what + ": rows of " + std::to_string(r.ggufDims[0]) + " elements are not whole " +
             dtypeName(info.dtype) + " blocks of " + std::to_string(block.elements));
    uint64_t rows = 1;
    for (size_t d = 1; d < r.ggufDims.size(); ++d) {
      if (__builtin_mul_overflow(rows, static_cast<uint64_t>(r.ggufDims[d]), &rows))
        c.fail(what + ": its dimensions overflow");
    }
    // The element count as everything downstream multiplies it (PyTorch order): a zero-length
    // row would otherwise let a huge row count through the byte count.
    int64_t elements = 1;
    for (auto d = r.ggufDims.rbegin(); d != r.ggufDims.rend(); ++d) {
      if (__builtin_mul_overflow(elements, *d, &elements))
        c.fail(what + ": its dimensions overflow");
    }
    uint64_t rowBytes = 0, bytes = 0;
    if (__builtin_mul_overflow(static_cast<uint64_t>(r.ggufDims[0] / block.elements),
                               static_cast<uint64_t>(block.bytes), &rowBytes) ||
        __builtin_mul_overflow(rows, rowBytes, &bytes) || bytes > dataSize ||
        r.offset > dataSize - bytes)
      c.fail(what + ": its " + std::to_string(bytes) + " bytes at offset " +
             std::to_string(r.offset) + " run past the data section's " + std::to_string(dataSize) +
             " bytes (truncated file?)");
    if (r.offset % alignment_ != 0)
      c.fail(what + ": offset " + std::to_string(r.offset) +
             " is not a multiple of the alignment " + std::to_string(alignment_));
    info.begin = r.offset;
    info.end = r.offset + bytes;
    info.shape.assign(r.ggufDims.rbegin(), r.ggufDims.rend());

    if (auto it = metadata_.find(kOrigShapePrefix + r.name); it != metadata_.end()) {
      const GgufValue& v = it->second;
      if (v.type != GgufValue::Type::Array || v.integers.size() != v.count || v.count == 0)
        c.fail("metadata " + keyText(it->first) + " is not an array of integers");
      int64_t numel = 1;
      for (int64_t d : v.integers) {
        if (d < 0 || __builtin_mul_overflow(numel, d, &numel))
          c.fail("metadata " + keyText(it->first) + " holds an invalid shape");
      }
      if (numel != info.numel())
        c.fail("metadata " + keyText(it->first) + ": shape " + shapeText(v.integers) + " has " +
               std::to_string(numel) + " elements but the tensor holds " +
               std::to_string(info.numel()));
      info.shape = v.integers;
    }
    tensors_.push_back(std::move(info));
  }

  std::vector<const TensorInfo*> byOffset;
  for (const auto& t : tensors_) byOffset.push_back(&t);
  std::sort(byOffset.begin(), byOffset.end(),
            [](const TensorInfo* a, const TensorInfo* b) { return a->begin < b->begin; });
  for (size_t i = 1; i < byOffset.size(); ++i) {
    if (byOffset[i]->begin < byOffset[i - 1]->end)
      c.fail("tensors " + keyText(byOffset[i - 1]->name) + " and " + keyText(byOffset[i]->name) +
             " overlap");
  }
  std::sort(tensors_.begin(), tensors_.end(),
            [](const TensorInfo& a, const TensorInfo& b) { return a.name < b.name; });
}

}  // namespace svgen
