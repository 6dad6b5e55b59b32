// The built-in family: svgen's own model folders (config.json with "format": "svgen"), and the
// reserved id "builtin" for the model this install ships.
#include "core/model/builtin/builtin_model.h"
#include "core/model/model_family.h"

namespace svgen::builtin {

namespace {

std::string folderOf(const std::string& model) {
  return model == "builtin" ? findBuiltinModelDir() : model;
}

}  // namespace

const ModelFamily& family() {
  static const ModelFamily f = [] {
    ModelFamily m;
    m.id = "builtin";
    m.label = "built-in shapes model";
    m.expects = "a folder with config.json (\"format\": \"svgen\") and its safetensors weights";
    m.order = 0;
    m.layouts = {"svgen"};
    m.recognises = [](const std::string& model) {
      return model == "builtin" || isBuiltinFormatDir(model);
    };
    m.describe = [](const std::string& model) {
      return BuiltinModel::describe(folderOf(model), model);
    };
    m.load = [](const std::string& model, const at::Device& device,
                const MemoryChoices&) -> std::unique_ptr<VideoModel> {
      return BuiltinModel::load(folderOf(model), model, device);
    };
    return m;
  }();
  return f;
}

}  // namespace svgen::builtin
