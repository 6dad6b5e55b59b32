// libFuzzer: any bytes as a safetensors file, through the header parser and the checkpoint
// inspection behind `svgen inspect` (shape inference included: a zero patch once divided by 0).
// Every input must end in a clean InputError or a result, never a crash, a hang or a sanitizer
// report.
#include "core/common/error.h"
#include "core/io/safetensors.h"
#include "core/model/model_family.h"

#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <string>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const std::string path = "/tmp/svgen-fuzz-" + std::to_string(::getpid()) + ".safetensors";
  FILE* f = std::fopen(path.c_str(), "wb");
  if (!f) return 0;
  std::fwrite(data, 1, size, f);
  std::fclose(f);
  try {
    auto file = svgen::SafetensorsFile::open(path);
    for (const svgen::TensorInfo& t : file->tensors()) (void)t.numel();
  } catch (const svgen::InputError&) {
  }
  try {
    (void)svgen::inspectModel(path);
  } catch (const svgen::InputError&) {
  }
  return 0;
}
