#include "core/common/error.h"
#include "core/model/builtin_model.h"
#include "core/model/video_model.h"
#include "core/model/wan_model.h"

#include <filesystem>

namespace fs = std::filesystem;

namespace svgen {

namespace {

enum class ModelKind { Builtin, Wan };

// Which loader a model id needs, with a clear error for paths svgen cannot read.
ModelKind modelKind(const std::string& id) {
  if (id == "builtin" || isBuiltinFormatDir(id)) return ModelKind::Builtin;
  if (!fs::exists(id))
    throw InputError("model \"" + id + "\" does not exist (use \"builtin\" or a model folder)");
  if (isWanCheckpoint(id)) return ModelKind::Wan;
  throw InputError("model \"" + id +
                   "\" is not a model svgen can read: expected a Wan 2.1 checkpoint (a diffusers "
                   "folder, ComfyUI files or the original repository's folder) or a folder with "
                   "config.json (\"format\": \"svgen\") and its safetensors weights");
}

std::string builtinDir(const std::string& id) {
  return id == "builtin" ? findBuiltinModelDir() : id;
}

}  // namespace

std::unique_ptr<VideoModel> loadVideoModel(const std::string& id, const at::Device& device) {
  if (modelKind(id) == ModelKind::Wan) return WanModel::load(id, device);
  return BuiltinModel::load(builtinDir(id), id, device);
}

ModelInfo describeVideoModel(const std::string& id) {
  if (modelKind(id) == ModelKind::Wan) return WanModel::describe(id);
  return BuiltinModel::describe(builtinDir(id), id);
}

}  // namespace svgen
