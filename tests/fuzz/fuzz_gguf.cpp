// libFuzzer: any bytes as a GGUF file, through the header parser, loading every tensor packed
// and unpacking it (so a lying shape or offset that got past the checks would read out of
// bounds under ASan), and the checkpoint inspection behind `svgen inspect`. Every input must end
// in a clean InputError or a result, never a crash, a hang or a sanitizer report.
#include "core/common/error.h"
#include "core/io/gguf_file.h"
#include "core/io/packed_weights.h"
#include "core/model/model_family.h"

#include <ATen/ATen.h>

#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <string>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const std::string path = "/tmp/svgen-fuzz-" + std::to_string(::getpid()) + ".gguf";
  FILE* f = std::fopen(path.c_str(), "wb");
  if (!f) return 0;
  std::fwrite(data, 1, size, f);
  std::fclose(f);
  try {
    auto file = svgen::GgufFile::open(path);
    for (const svgen::TensorInfo& t : file->tensors()) (void)t.numel();
    const svgen::LoadedWeights w = svgen::loadWeights({path});
    for (const auto& [name, p] : w.packed) (void)p.unpack(at::kFloat);
  } catch (const svgen::InputError&) {
  }
  try {
    (void)svgen::inspectModel(path);
  } catch (const svgen::InputError&) {
  }
  return 0;
}
