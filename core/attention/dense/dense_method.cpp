// Dense: every query attends to every key. The baseline every sparse method is measured against.
#include "core/attention/attention_backend.h"
#include "core/attention/method_registry.h"

namespace svgen::dense {

const MethodDescriptor& method() {
  static const MethodDescriptor d = [] {
    MethodDescriptor m =
        MethodDescriptor::named("dense", "Dense", "Every query attends to every key", 0);
    m.sparse = false;
    m.make = [](const AttentionConfig&, const std::string&) {
      return std::make_unique<DenseAttention>();
    };
    m.estimateDensity = [](const AttentionConfig&, const std::array<int64_t, 3>&) { return 1.0; };
    return m;
  }();
  return d;
}

}  // namespace svgen::dense
