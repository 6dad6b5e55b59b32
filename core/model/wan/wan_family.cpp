// Wan text-to-video, from a diffusers folder, ComfyUI single files or the original repository's
// folder (whatever inspectCheckpoint recognises). Image-to-video checkpoints of the same layouts
// (wan_i2v_family.cpp) and Wan 2.2's two-expert models (wan22_family.cpp) are families of their
// own, built here the same way: one WanModel runs them all.
#include "core/model/model_family.h"
#include "core/model/wan/wan_model.h"

namespace svgen {

ModelFamily wanModelFamily(std::string id, std::string label, std::string expects, int order,
                           std::function<bool(const CheckpointInspection&)> claims) {
  ModelFamily m;
  m.id = std::move(id);
  m.label = std::move(label);
  m.expects = std::move(expects);
  m.order = order;
  m.layouts = {"diffusers", "comfyui", "wan-original", "single-file", "files"};
  m.claims = [claims = std::move(claims)](const CheckpointInspection& i) {
    return i.layout != "svgen" && claims(i);
  };
  m.describe = [](const std::string& model) { return WanModel::describe(model); };
  m.load = [](const std::string& model, const at::Device& device,
              const MemoryChoices& memory) -> std::unique_ptr<VideoModel> {
    return WanModel::load(model, device, memory);
  };
  return m;
}

ModelFamily wanFamily(bool imageToVideo, bool twoExperts) {
  const std::string task = imageToVideo ? "image-to-video" : "text-to-video";
  auto claims = [imageToVideo, twoExperts](const CheckpointInspection& i) {
    const bool experts = i.boundaryRatio > 0;
    const bool transformer = i.transformer.found || (experts && i.lowNoiseTransformer.found);
    // Wan 2.2's own VAE (16x) is TI2V-5B's family (wan22_family.cpp); A14B keeps Wan 2.1's.
    return transformer && experts == twoExperts && i.imageToVideo == imageToVideo &&
           i.vaeSpatialScale == 8;
  };
  if (twoExperts)
    return wanModelFamily(imageToVideo ? "wan2.2-i2v-a14b" : "wan2.2-t2v-a14b",
                          "Wan 2.2 " + task + " A14B",
                          "a Wan 2.2 " + task +
                              " A14B checkpoint with both experts (a diffusers folder with "
                              "transformer_2/, ComfyUI's high_noise and low_noise files, or the "
                              "original repository's folder)",
                          imageToVideo ? 13 : 12, claims);
  return wanModelFamily(imageToVideo ? "wan2.1-i2v" : "wan2.1-t2v", "Wan 2.1 " + task,
                        imageToVideo
                            ? "a Wan 2.1 image-to-video checkpoint with its CLIP image encoder (a "
                              "diffusers folder, ComfyUI files or the original repository's folder)"
                            : "a Wan 2.1 checkpoint (a diffusers folder, ComfyUI files or the "
                              "original repository's folder)",
                        imageToVideo ? 11 : 10, claims);
}

namespace wan {

const ModelFamily& family() {
  static const ModelFamily f = wanFamily(false, false);
  return f;
}

}  // namespace wan
}  // namespace svgen
