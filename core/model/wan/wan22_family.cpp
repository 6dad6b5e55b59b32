// Wan 2.2 T2V-A14B and I2V-A14B: two Wan 2.1-shaped transformers, the high-noise expert for the
// steps at or above the boundary timestep, the low-noise one below it (each with its own guidance
// scale); I2V-A14B reads the first-frame condition without CLIP. WanModel runs them, holding one
// expert on the device at a time.
#include "core/model/model_family.h"
#include "core/model/wan/wan_model.h"

namespace svgen {

namespace wan22_t2v {

const ModelFamily& family() {
  static const ModelFamily f = wanFamily(false, true);
  return f;
}

}  // namespace wan22_t2v

namespace wan22_i2v {

const ModelFamily& family() {
  static const ModelFamily f = wanFamily(true, true);
  return f;
}

}  // namespace wan22_i2v
}  // namespace svgen
