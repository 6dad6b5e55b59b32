// libFuzzer: any text as the run settings JSON that MP4s, PNGs, Y4M sidecars, the studio's queue
// and its history carry. A parsed request must write back to JSON that parses to the same text.
#include "core/common/error.h"
#include "core/pipeline/request_json.h"

#include <cstdint>
#include <cstdlib>
#include <string>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  svgen::GenerationRequest request;
  try {
    request = svgen::requestFromJson(text);
  } catch (const svgen::InputError&) {
    return 0;
  }
  const std::string once = svgen::requestToJson(request);
  const std::string twice = svgen::requestToJson(svgen::requestFromJson(once));
  if (once != twice) std::abort();  // a round trip that changes the settings
  return 0;
}
