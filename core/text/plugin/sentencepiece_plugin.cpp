// A C interface to libsentencepiece, built as its own shared module. Debian's libsentencepiece
// carries its own copy of protobuf-lite and exports it; LibTorch brings the full libprotobuf, and
// linking both into one program crashes at start-up (one protobuf's static initialisers run
// against the other's symbols). core/ therefore opens this module with dlopen(RTLD_LOCAL |
// RTLD_DEEPBIND), only when a Wan prompt is tokenized, so each protobuf binds to itself.
#include <sentencepiece_processor.h>

#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

namespace {

void copyError(const std::string& message, char* error, int capacity) {
  if (!error || capacity < 1) return;
  std::strncpy(error, message.c_str(), static_cast<size_t>(capacity) - 1);
  error[capacity - 1] = '\0';
}

}  // namespace

extern "C" {

__attribute__((visibility("default"))) void* svgen_spm_load(const char* path, char* error,
                                                            int capacity) {
  auto* processor = new sentencepiece::SentencePieceProcessor();
  const auto status = processor->Load(path);
  if (!status.ok()) {
    copyError(status.ToString(), error, capacity);
    delete processor;
    return nullptr;
  }
  return processor;
}

// Pieces of `text` into ids[0..capacity); returns how many there are (which may exceed capacity:
// call again with more room), or −1 with the reason in `error`.
__attribute__((visibility("default"))) int64_t svgen_spm_encode(void* handle, const char* text,
                                                                int64_t* ids, int64_t capacity,
                                                                char* error, int errorCapacity) {
  std::vector<int> pieces;
  const auto status =
      static_cast<sentencepiece::SentencePieceProcessor*>(handle)->Encode(text, &pieces);
  if (!status.ok()) {
    copyError(status.ToString(), error, errorCapacity);
    return -1;
  }
  for (size_t i = 0; i < pieces.size() && static_cast<int64_t>(i) < capacity; ++i)
    ids[i] = pieces[i];
  return static_cast<int64_t>(pieces.size());
}

__attribute__((visibility("default"))) void svgen_spm_free(void* handle) {
  delete static_cast<sentencepiece::SentencePieceProcessor*>(handle);
}
}
