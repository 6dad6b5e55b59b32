// The model families this build can run, each registered by its folder under core/model/ (a
// family.cmake names it and its sources; see core/CMakeLists.txt). The Engine, `svgen inspect`
// and the studio's model picker ask here which family a model id or path belongs to; a new family
// is its folder and nothing else.
#pragma once
#include "core/model/checkpoint_inspection.h"
#include "core/model/model_info.h"
#include "core/model/video_model.h"

#include <c10/core/Device.h>

#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace svgen {

struct ModelFamily {
  std::string id;       // "builtin", "wan2.1-t2v"
  std::string label;    // "built-in shapes model", "Wan 2.1 text-to-video"
  std::string expects;  // what a user should point at: "a Wan 2.1 checkpoint (...)"
  // The layouts of the shared inspector (CheckpointInspection::layout) that are this family's.
  std::vector<std::string> layouts;
  int order = 0;  // asked in this order; the first that recognises a model takes it
  // Whether this family reads `model`: a reserved id (like "builtin") or an existing path.
  std::function<bool(const std::string& model)> recognises;
  // Or, for families that judge a path by the shared inspector: whether its inspection is theirs.
  // A path is inspected once for all of them (headers of a large file take a while to read).
  std::function<bool(const CheckpointInspection& inspection)> claims;
  // Defaults, limits, words and token grid from config files and headers only.
  std::function<ModelInfo(const std::string& model)> describe;
  // Loads the weights onto `device` as `memory` places them (streamed blocks stay in host
  // memory from the start); throws InputError naming what is missing or unreadable.
  std::function<std::unique_ptr<VideoModel>(const std::string& model, const at::Device& device,
                                            const MemoryChoices& memory)>
      load;
};

// The registered families in their order.
const std::vector<const ModelFamily*>& modelFamilies();
// The family that reads `model`; throws InputError saying what svgen can read when none does.
const ModelFamily& modelFamilyOf(const std::string& model);

// What `path` holds, from headers and config files only (inspectCheckpoint), with the family that
// reads its layout named. Throws InputError for a path with nothing recognisable.
CheckpointInspection inspectModel(const std::string& path);

std::unique_ptr<VideoModel> loadVideoModel(const std::string& model, const at::Device& device,
                                           const MemoryChoices& memory = {});
ModelInfo describeVideoModel(const std::string& model);

}  // namespace svgen
