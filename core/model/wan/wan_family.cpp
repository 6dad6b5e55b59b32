// Wan 2.1 text-to-video, from a diffusers folder, ComfyUI single files or the original
// repository's folder (whatever inspectCheckpoint recognises). Image-to-video checkpoints of the
// same layouts are their own family (wan_i2v_family.cpp), built here the same way.
#include "core/model/model_family.h"
#include "core/model/wan/wan_model.h"

namespace svgen {

ModelFamily wanFamily(bool imageToVideo) {
  ModelFamily m;
  m.id = imageToVideo ? "wan2.1-i2v" : "wan2.1-t2v";
  m.label = imageToVideo ? "Wan 2.1 image-to-video" : "Wan 2.1 text-to-video";
  m.expects = imageToVideo ? "a Wan 2.1 image-to-video checkpoint with its CLIP image encoder "
                             "(a diffusers folder, ComfyUI files or the original repository's "
                             "folder)"
                           : "a Wan 2.1 checkpoint (a diffusers folder, ComfyUI files or the "
                             "original repository's folder)";
  m.order = imageToVideo ? 11 : 10;
  m.layouts = {"diffusers", "comfyui", "wan-original", "single-file", "files"};
  m.claims = [imageToVideo](const CheckpointInspection& i) {
    return i.layout != "svgen" && i.transformer.found && i.imageEncoderNeeded == imageToVideo;
  };
  m.describe = [](const std::string& model) { return WanModel::describe(model); };
  m.load = [](const std::string& model, const at::Device& device,
              const MemoryChoices& memory) -> std::unique_ptr<VideoModel> {
    return WanModel::load(model, device, memory);
  };
  return m;
}

namespace wan {

const ModelFamily& family() {
  static const ModelFamily f = wanFamily(false);
  return f;
}

}  // namespace wan
}  // namespace svgen
