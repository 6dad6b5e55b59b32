// HunyuanVideo text-to-video, from a diffusers pipeline folder (model_index.json naming
// HunyuanVideoPipeline). Asked before Wan's families: its folders are told apart by their class
// names, never by Wan's inspection.
#include "core/model/hunyuan/hunyuan_inspection.h"
#include "core/model/hunyuan/hunyuan_model.h"
#include "core/model/model_family.h"

namespace svgen {
namespace hunyuan {

const ModelFamily& family() {
  static const ModelFamily f = [] {
    ModelFamily m;
    m.id = "hunyuan-t2v";
    m.label = "HunyuanVideo text-to-video";
    m.expects =
        "a HunyuanVideo diffusers folder (model_index.json with transformer/, vae/, "
        "text_encoder/, text_encoder_2/, tokenizer/ and tokenizer_2/)";
    m.layouts = {"hunyuan-diffusers"};
    m.order = 5;
    m.recognises = [](const std::string& model) { return isHunyuanPipelineFolder(model); };
    m.describe = [](const std::string& model) { return HunyuanModel::describe(model); };
    m.load = [](const std::string& model, const at::Device& device,
                const MemoryChoices& memory) -> std::unique_ptr<VideoModel> {
      return HunyuanModel::load(model, device, memory);
    };
    return m;
  }();
  return f;
}

}  // namespace hunyuan
}  // namespace svgen
