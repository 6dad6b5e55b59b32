#include "core/text/sentencepiece_tokenizer.h"

#include "core/common/error.h"

#include <ATen/ATen.h>

#include <cstdlib>
#include <filesystem>
#include <sstream>

#include <dlfcn.h>

namespace fs = std::filesystem;

namespace svgen {

namespace {

// What the pipelines' prompt cleaning amounts to for plain text: runs of whitespace become one
// space, and the ends are trimmed.
std::string normaliseWhitespace(const std::string& text) {
  std::istringstream in(text);
  std::string word, out;
  while (in >> word) out += (out.empty() ? "" : " ") + word;
  return out;
}

// The plugin's C interface (core/text/plugin/sentencepiece_plugin.cpp).
struct PluginApi {
  void* library = nullptr;
  void* (*load)(const char*, char*, int) = nullptr;
  int64_t (*encode)(void*, const char*, int64_t*, int64_t, char*, int) = nullptr;
  void (*release)(void*) = nullptr;
  std::string problem;  // why it could not be opened
};

std::vector<std::string> pluginCandidates() {
  std::vector<std::string> c;
  if (const char* env = std::getenv("SVGEN_SENTENCEPIECE_PLUGIN")) c.emplace_back(env);
#ifdef SVGEN_HAVE_SENTENCEPIECE
  std::error_code ec;
  const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  const std::string name = fs::path(SVGEN_SENTENCEPIECE_PLUGIN_BUILD).filename().string();
  if (!ec) {
    c.push_back((exe.parent_path() / "../lib" / name).string());
    c.push_back((exe.parent_path() / "../lib/svgen" / name).string());
  }
  c.emplace_back(SVGEN_SENTENCEPIECE_PLUGIN_BUILD);
  c.emplace_back(SVGEN_SENTENCEPIECE_PLUGIN_INSTALL);
#endif
  return c;
}

// AddressSanitizer's runtime refuses RTLD_DEEPBIND (google/sanitizers#611), and without it the
// plugin's bundled protobuf meets LibTorch's and aborts: the sanitizer build (CI) has no
// SentencePiece, and the tests that need it skip there.
#if defined(__SANITIZE_ADDRESS__)
#define SVGEN_NO_DEEPBIND 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SVGEN_NO_DEEPBIND 1
#endif
#endif

// Opened once per process; RTLD_DEEPBIND keeps libsentencepiece's bundled protobuf away from
// LibTorch's.
const PluginApi& plugin() {
  static const PluginApi api = [] {
    PluginApi a;
    for (const std::string& path : pluginCandidates()) {
      if (!fs::is_regular_file(path)) continue;
#ifdef SVGEN_NO_DEEPBIND
      a.problem =
          "the AddressSanitizer build cannot load the SentencePiece plugin (it needs "
          "RTLD_DEEPBIND); use a normal build for Wan checkpoints";
      break;
#endif
      a.library = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL | RTLD_DEEPBIND);
      if (!a.library) {
        a.problem = path + ": " + dlerror();
        continue;
      }
      a.load = reinterpret_cast<decltype(a.load)>(dlsym(a.library, "svgen_spm_load"));
      a.encode = reinterpret_cast<decltype(a.encode)>(dlsym(a.library, "svgen_spm_encode"));
      a.release = reinterpret_cast<decltype(a.release)>(dlsym(a.library, "svgen_spm_free"));
      if (a.load && a.encode && a.release) return a;
      a.problem = path + ": not svgen's SentencePiece plugin";
    }
    a.library = nullptr;
    if (a.problem.empty()) {
      a.problem =
          "this build has no SentencePiece support (install libsentencepiece-dev and rebuild)";
    }
    return a;
  }();
  return api;
}

}  // namespace

bool sentencePieceAvailable() {
  return plugin().library != nullptr;
}

struct SentencePieceTokenizer::Impl {
  void* handle = nullptr;
  ~Impl() {
    if (handle) plugin().release(handle);
  }
};

SentencePieceTokenizer::SentencePieceTokenizer(const std::string& modelPath)
    : impl_(std::make_unique<Impl>()) {
  fs::path file = modelPath;
  if (fs::is_directory(file)) file /= "spiece.model";
  if (!fs::is_regular_file(file)) {
    throw InputError(file.string() +
                     ": no SentencePiece model (umT5's spiece.model, from google/umt5-xxl) here");
  }
  const PluginApi& api = plugin();
  if (!api.library) throw InputError("cannot read " + file.string() + ": " + api.problem);
  char error[512] = {0};
  impl_->handle = api.load(file.string().c_str(), error, sizeof error);
  if (!impl_->handle)
    throw InputError(file.string() + ": not a SentencePiece model (" + error + ")");
}

std::vector<int64_t> SentencePieceTokenizer::pieces(const std::string& prompt) const {
  const std::string text = normaliseWhitespace(prompt);
  std::vector<int64_t> ids(text.size() + 16);
  char error[512] = {0};
  int64_t n = plugin().encode(impl_->handle, text.c_str(), ids.data(),
                              static_cast<int64_t>(ids.size()), error, sizeof error);
  if (n > static_cast<int64_t>(ids.size())) {
    ids.resize(static_cast<size_t>(n));
    n = plugin().encode(impl_->handle, text.c_str(), ids.data(), n, error, sizeof error);
  }
  if (n < 0) throw InputError(std::string("the prompt cannot be tokenized: ") + error);
  ids.resize(static_cast<size_t>(n));
  return ids;
}

SentencePieceTokenizer::~SentencePieceTokenizer() = default;

TokenizedPrompts SentencePieceTokenizer::encode(const std::vector<std::string>& prompts,
                                                int length) const {
  if (length < 1) throw InputError("token length must be at least 1");
  const int64_t B = static_cast<int64_t>(prompts.size());
  TokenizedPrompts t;
  t.ids = at::full({B, length}, kPadId, at::kLong);
  t.mask = at::zeros({B, length}, at::kLong);
  auto ids = t.ids.accessor<int64_t, 2>();
  auto mask = t.mask.accessor<int64_t, 2>();
  for (int64_t b = 0; b < B; ++b) {
    std::vector<int64_t> p = pieces(prompts[b]);
    if (static_cast<int>(p.size()) > length - 1) p.resize(length - 1);
    p.push_back(kEosId);
    for (size_t i = 0; i < p.size(); ++i) {
      ids[b][static_cast<int64_t>(i)] = p[i];
      mask[b][static_cast<int64_t>(i)] = 1;
    }
  }
  return t;
}

}  // namespace svgen
