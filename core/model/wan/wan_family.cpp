// Wan 2.1 text-to-video, from a diffusers folder, ComfyUI single files or the original
// repository's folder (whatever inspectCheckpoint recognises).
#include "core/model/model_family.h"
#include "core/model/wan/wan_model.h"

namespace svgen::wan {

const ModelFamily& family() {
  static const ModelFamily f = [] {
    ModelFamily m;
    m.id = "wan2.1-t2v";
    m.label = "Wan 2.1 text-to-video";
    m.expects =
        "a Wan 2.1 checkpoint (a diffusers folder, ComfyUI files or the original repository's "
        "folder)";
    m.order = 10;
    m.layouts = {"diffusers", "comfyui", "wan-original", "single-file", "files"};
    m.recognises = [](const std::string& model) { return isWanCheckpoint(model); };
    m.describe = [](const std::string& model) { return WanModel::describe(model); };
    m.load = [](const std::string& model, const at::Device& device,
                const MemoryChoices& memory) -> std::unique_ptr<VideoModel> {
      return WanModel::load(model, device, memory);
    };
    return m;
  }();
  return f;
}

}  // namespace svgen::wan
