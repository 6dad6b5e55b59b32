// Wan 2.2 T2V-A14B and I2V-A14B: two Wan 2.1-shaped transformers, the high-noise expert for the
// steps at or above the boundary timestep, the low-noise one below it (each with its own guidance
// scale); I2V-A14B reads the first-frame condition without CLIP. WanModel runs them, holding one
// expert on the device at a time. And TI2V-5B: one transformer in the latents of Wan 2.2's own
// VAE (48 channels, 16x in space), text-to-video.
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

namespace wan22_ti2v {

const ModelFamily& family() {
  static const ModelFamily f = wanModelFamily(
      "wan2.2-ti2v-5b", "Wan 2.2 TI2V 5B",
      "a Wan 2.2 TI2V-5B checkpoint with the Wan 2.2 VAE (a diffusers folder, ComfyUI's "
      "wan2.2_ti2v_5B and wan2.2_vae files, or the original repository's folder)",
      14, [](const CheckpointInspection& i) {
        return i.transformer.found && i.boundaryRatio == 0 && i.vaeSpatialScale == 16;
      });
  return f;
}

}  // namespace wan22_ti2v
}  // namespace svgen
