// What the safetensors reader, writer and checkpoint code share: the format's limits and the
// wording of their errors. Only core/io/safetensors*.cpp include it.
#pragma once
#include "core/common/error.h"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <cstring>
#include <exception>
#include <string>

// Tensor bytes are handed out as they lie in the file, which the format defines as little endian.
#if !defined(__BYTE_ORDER__) || __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "safetensors I/O assumes a little-endian host"
#endif

namespace svgen::safetensors_detail {

// Real headers are kilobytes to a few megabytes; the cap keeps a corrupt length from asking for
// gigabytes of JSON parsing.
inline constexpr uint64_t kMaxHeaderBytes = 100ull * 1000 * 1000;
// A tensor's entry nests 3 deep ({"name": {"shape": [..]}}); metadata 2. Deeper headers are not
// safetensors files.
inline constexpr int kMaxHeaderDepth = 16;
// The largest checkpoints hold a few thousand tensors in a file (Wan 2.1 14B: about 1,100).
inline constexpr size_t kMaxTensors = 65536;
inline constexpr const char* kMetadataKey = "__metadata__";

inline std::string inQuotes(const std::string& s) {
  return "\"" + s + "\"";
}

[[noreturn]] inline void fail(const std::string& path, const std::string& what) {
  throw InputError(path + ": " + what);
}

[[noreturn]] inline void failTensor(const std::string& path, const std::string& name,
                                    const std::string& what) {
  throw InputError(path + ": tensor " + inQuotes(name) + ": " + what);
}

inline std::string errnoText(int err) {
  return std::strerror(err);
}

// Checked a × b; false on overflow.
inline bool mulOverflow(uint64_t a, uint64_t b, uint64_t& out) {
  return __builtin_mul_overflow(a, b, &out);
}

// The part of nlohmann's message after its "[json.exception...]" tag.
inline std::string jsonReason(const std::exception& e) {
  std::string s = e.what();
  auto close = s.find("] ");
  return close == std::string::npos ? s : s.substr(close + 2);
}

}  // namespace svgen::safetensors_detail
