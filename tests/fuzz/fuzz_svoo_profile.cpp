// libFuzzer: any text as an SVOO sparsity profile (svoo_profile.json beside a model, or
// --svoo-profile): a clean InputError naming the source, or a profile.
#include "core/attention/svoo/svoo_profile.h"
#include "core/common/error.h"

#include <cstdint>
#include <string>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  try {
    (void)svgen::svooProfileFromJson(text, "fuzz input");
  } catch (const svgen::InputError&) {
  }
  return 0;
}
