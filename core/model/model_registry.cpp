#include "core/common/error.h"
#include "core/model/builtin_model.h"
#include "core/model/video_model.h"

#include <filesystem>

namespace fs = std::filesystem;

namespace svgen {

namespace {

// The folder a model id stands for, with a clear error for paths svgen cannot read.
std::string modelDir(const std::string& id) {
  if (id == "builtin") return findBuiltinModelDir();
  if (!fs::exists(id))
    throw InputError("model \"" + id + "\" does not exist (use \"builtin\" or a model folder)");
  if (isBuiltinFormatDir(id)) return id;
  throw InputError("model \"" + id +
                   "\" is not a model folder svgen can read: expected a folder with config.json "
                   "(\"format\": \"svgen\") and its safetensors weights");
}

}  // namespace

std::unique_ptr<VideoModel> loadVideoModel(const std::string& id, const at::Device& device) {
  return BuiltinModel::load(modelDir(id), id, device);
}

ModelInfo describeVideoModel(const std::string& id) {
  return BuiltinModel::describe(modelDir(id), id);
}

}  // namespace svgen
