// svgen inspect PATH: what a Wan 2.1 checkpoint path holds, from headers only (core does the work).
#include "app/svgen/commands.h"
#include "core/common/error.h"
#include "core/model/builtin/config_json.h"
#include "core/model/checkpoint_inspection.h"
#include "core/model/model_family.h"

#include <nlohmann/json.hpp>

#include <iostream>
#include <memory>

namespace svgen::cli {

namespace {

nlohmann::json componentJson(const InspectedComponent& c) {
  nlohmann::json j = {{"found", c.found}, {"readable", c.readable}};
  if (!c.path.empty()) j["path"] = c.path;
  if (!c.files.empty()) j["files"] = c.files;
  if (!c.format.empty()) j["format"] = c.format;
  if (!c.dtypes.empty()) j["dtypes"] = c.dtypes;
  if (c.parameters >= 0) j["parameters"] = c.parameters;
  if (!c.detail.empty()) j["detail"] = c.detail;
  if (!c.problem.empty()) j["problem"] = c.problem;
  return j;
}

nlohmann::json inspectionJson(const CheckpointInspection& r) {
  nlohmann::json j = {{"path", r.path},
                      {"layout", r.layout},
                      {"layout_description", r.layoutDescription},
                      {"family", r.family},
                      {"components",
                       {{"transformer", componentJson(r.transformer)},
                        {"transformer_2", componentJson(r.lowNoiseTransformer)},
                        {"text_encoder", componentJson(r.textEncoder)},
                        {"tokenizer", componentJson(r.tokenizer)},
                        {"vae", componentJson(r.vae)},
                        {"image_encoder", componentJson(r.imageEncoder)},
                        {"text_encoder_2", componentJson(r.textEncoder2)},
                        {"tokenizer_2", componentJson(r.tokenizer2)}}},
                      {"vae_needed", r.vaeNeeded},
                      {"image_encoder_needed", r.imageEncoderNeeded},
                      {"image_to_video", r.imageToVideo},
                      {"boundary_ratio", r.boundaryRatio},
                      {"missing", r.missing},
                      {"problems", r.problems},
                      {"notes", r.notes}};
  if (r.config) {
    nlohmann::json c = toJson(r.config->config);
    c.erase("prediction");  // only svgen's own models say; everything else is flow
    j["transformer_config"] = {{"source", r.config->source},
                               {"values", c},
                               {"assumed", r.config->assumed},
                               {"conflicts", r.configConflicts},
                               {"model", r.modelName}};
  }
  return j;
}

void printComponent(const char* label, const InspectedComponent& c, bool needed) {
  std::cout << label;
  if (!c.found) {
    std::cout << (needed ? "MISSING" : "none");
    if (!c.problem.empty()) std::cout << " (" << c.problem << ")";
    if (!c.detail.empty()) std::cout << " (" << c.detail << ")";
    std::cout << "\n";
    return;
  }
  std::cout << (c.readable ? "" : "UNREADABLE ") << c.path << "\n";
  std::string line = c.format;
  if (!c.dtypes.empty()) {
    line += ";";
    for (const auto& d : c.dtypes) line += " " + d;
  }
  if (c.parameters >= 0) line += "; " + parameterCountText(c.parameters) + " parameters";
  if (!c.detail.empty()) line += "; " + c.detail;
  std::cout << "                " << line << "\n";
  if (!c.problem.empty()) std::cout << "                " << c.problem << "\n";
}

void printConfig(const CheckpointInspection& r) {
  if (!r.config) {
    if (!r.modelName.empty()) std::cout << "model:          " << r.modelName << "\n";
    return;
  }
  const WanConfig& c = r.config->config;
  std::cout << "config (" << r.config->source << "): dim " << c.dim << ", heads " << c.numHeads
            << " x " << c.headDim() << ", layers " << c.numLayers << ", ffn " << c.ffnDim
            << ", patch " << c.patch[0] << "x" << c.patch[1] << "x" << c.patch[2] << ", in "
            << c.inChannels << ", out " << c.outChannels << ", text " << c.textDim << ", freq "
            << c.freqDim << ", text_len " << c.textLen;
  if (c.imageDim > 0) std::cout << ", image " << c.imageDim;
  std::cout << "\n";
  std::cout << "model:          " << r.modelName << "\n";
  for (const auto& [field, why] : r.config->assumed)
    std::cout << "  assumed " << field << ": " << why << "\n";
  for (const auto& conflict : r.configConflicts) std::cout << "  CONFLICT " << conflict << "\n";
}

void printInspection(const CheckpointInspection& r) {
  std::cout << "path:           " << r.path << "\n";
  std::cout << "layout:         " << r.layout << " (" << r.layoutDescription << ")\n";
  std::cout << "family:         "
            << (r.familyLabel.empty() ? "none reads this layout" : r.familyLabel) << "\n";
  const bool experts = r.boundaryRatio > 0;
  printComponent(experts ? "high noise:     " : "transformer:    ", r.transformer, true);
  if (experts) {
    printComponent("low noise:      ", r.lowNoiseTransformer, true);
    std::cout << "                below timestep " << static_cast<int>(r.boundaryRatio * 1000)
              << " (boundary_ratio " << r.boundaryRatio << ")\n";
  }
  const bool twoEncoders = r.layout == "hunyuan-diffusers";
  printComponent("text encoder:   ", r.textEncoder, true);
  printComponent("tokenizer:      ", r.tokenizer, true);
  if (twoEncoders) {
    printComponent("text encoder 2: ", r.textEncoder2, true);
    printComponent("tokenizer 2:    ", r.tokenizer2, true);
  }
  printComponent("vae:            ", r.vae, r.vaeNeeded);
  if (r.imageEncoderNeeded || r.imageEncoder.found)
    printComponent("image encoder:  ", r.imageEncoder, r.imageEncoderNeeded);
  printConfig(r);
  std::cout << (r.imageToVideo ? "image-to-video: " : "text-to-video:  ");
  if (r.missing.empty()) {
    std::cout << "every component is present\n";
  } else {
    std::cout << "missing";
    for (const auto& m : r.missing) std::cout << " " << m;
    std::cout << "\n";
  }
  for (const auto& p : r.problems) {
    // Already printed under its component.
    bool shown = false;
    for (const auto* c : {&r.transformer, &r.lowNoiseTransformer, &r.textEncoder, &r.vae,
                          &r.imageEncoder, &r.textEncoder2, &r.tokenizer2})
      shown |= c->problem == p;
    if (!shown) std::cout << "problem: " << p << "\n";
  }
  for (const auto& n : r.notes) std::cout << "note: " << n << "\n";
}

// A file the model would be built from is damaged or cannot be used: its shapes are impossible,
// it contradicts its config, or it cannot be read. Components that are only missing are not
// damage: a lone transformer file is a normal thing to inspect.
bool foundDamage(const CheckpointInspection& r) {
  bool damaged = !r.configConflicts.empty();
  for (const InspectedComponent* c : {&r.transformer, &r.lowNoiseTransformer, &r.textEncoder,
                                      &r.vae, &r.imageEncoder, &r.textEncoder2})
    damaged |= c->found && !c->problem.empty();
  const std::string transformerPrefix = r.transformer.path + ": ";
  for (const std::string& p : r.problems)
    damaged |= !r.transformer.path.empty() &&
               p.compare(0, transformerPrefix.size(), transformerPrefix) == 0;
  return damaged;
}

}  // namespace

Command addInspectCommand(CLI::App& app) {
  auto path = std::make_shared<std::string>();
  auto json = std::make_shared<bool>(false);
  CLI::App* cmd = app.add_subcommand(
      "inspect",
      "Say what a Wan 2.1 checkpoint file or folder holds (reads headers only). Exit 0 when what "
      "it holds is sound (missing components are listed, not errors), 2 when a file is damaged "
      "or cannot be used");
  cmd->add_option("path", *path,
                  "A diffusers folder, a ComfyUI file or folder, a Wan2.1 repository folder or an "
                  "svgen model folder")
      ->required();
  cmd->add_flag("--json", *json, "Print as JSON");
  return {cmd, [path, json] {
            const CheckpointInspection r = inspectModel(*path);
            if (*json)
              std::cout << inspectionJson(r).dump(2) << std::endl;
            else
              printInspection(r);
            if (!foundDamage(r)) return kExitOk;
            std::cerr << "svgen: error: " << *path
                      << ": a file it is made of is damaged or cannot be used (see the problem "
                         "above)\n";
            return kExitInputError;
          }};
}

}  // namespace svgen::cli
