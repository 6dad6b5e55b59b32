// Wan 2.1 image-to-video: the same pipeline as text-to-video (WanModel) with CLIP's image tokens
// in cross-attention and the VAE-encoded start image beside the latent, from the same layouts.
#include "core/model/model_family.h"
#include "core/model/wan/wan_model.h"

namespace svgen::wan_i2v {

const ModelFamily& family() {
  static const ModelFamily f = wanFamily(true, false);
  return f;
}

}  // namespace svgen::wan_i2v
