#include "core/model/wan_model.h"

#include "core/common/error.h"
#include "core/common/json_fields.h"
#include "core/io/tensor_io.h"
#include "core/model/video_frames.h"
#include "core/model/wan_keys.h"
#include "core/model/wan_vae_decoder.h"
#include "core/text/sentencepiece_tokenizer.h"
#include "core/text/umt5_encoder.h"

#include <ATen/ATen.h>

#include <algorithm>
#include <filesystem>
#include <optional>
#include <sstream>

namespace fs = std::filesystem;

namespace svgen {

namespace {

// Wan 2.1's own sampling defaults (DESIGN §4); 480p, 81 frames = 5 s at 16 fps.
constexpr int kFrames = 81, kWidth = 832, kHeight = 480, kSteps = 50;
constexpr double kGuidance = 5.0, kShift = 5.0, kFps = 16.0;

std::string joined(const std::vector<std::string>& items, const char* separator) {
  std::string out;
  for (const auto& s : items) out += (out.empty() ? "" : separator) + s;
  return out;
}

bool isIndex(const std::string& file) {
  const std::string name = fs::path(file).filename().string();
  return name.size() > 11 && name.compare(name.size() - 11, 11, ".index.json") == 0;
}

// Every tensor of a component's files. An index stands for its shards, which are then not read a
// second time (umT5-XXL alone is 11 GB).
TensorMap loadComponent(const InspectedComponent& c) {
  const bool indexed = std::any_of(c.files.begin(), c.files.end(), isIndex);
  TensorMap all;
  for (const std::string& file : c.files) {
    const bool wanted = indexed ? isIndex(file) : fs::path(file).extension() == ".safetensors";
    if (!wanted) continue;  // configs, or shards an index already covers
    TensorMap part = loadTensors(file);
    all.insert(part.begin(), part.end());
  }
  return all;
}

// config.json next to a component's weights, when it came as a folder.
std::optional<nlohmann::json> componentConfig(const InspectedComponent& c) {
  const fs::path config = fs::path(c.path) / "config.json";
  if (!fs::is_directory(c.path) || !fs::is_regular_file(config)) return std::nullopt;
  return readJsonFile(config.string());
}

std::map<std::string, std::vector<int64_t>> shapesOf(const TensorMap& tensors) {
  std::map<std::string, std::vector<int64_t>> shapes;
  for (const auto& [k, t] : tensors) shapes[k] = t.sizes().vec();
  return shapes;
}

CheckpointInspection inspectRunnable(const std::string& path) {
  CheckpointInspection inspection = inspectCheckpoint(path);
  if (!inspection.missing.empty() || !inspection.config) {
    std::ostringstream msg;
    msg << path << " cannot run text-to-video";
    if (!inspection.missing.empty())
      msg << ": missing or unreadable " << joined(inspection.missing, ", ");
    for (const InspectedComponent* c : {&inspection.transformer, &inspection.textEncoder,
                                        &inspection.tokenizer, &inspection.vae}) {
      if (!c->problem.empty()) msg << "\n  " << c->problem;
    }
    for (const auto& p : inspection.problems) msg << "\n  " << p;
    msg << "\n(svgen inspect " << path << " shows what was found)";
    throw InputError(msg.str());
  }
  return inspection;
}

ModelInfo wanInfo(const CheckpointInspection& inspection) {
  const WanConfig& c = inspection.config->config;
  ModelInfo info;
  info.id = inspection.path;
  info.label = (inspection.modelName == "custom" ? "Wan 2.1 (custom size)" : inspection.modelName) +
               " — " + fs::path(inspection.path).filename().string();
  info.trained = true;
  info.description = inspection.layoutDescription + "; dim " + std::to_string(c.dim) + ", " +
                     std::to_string(c.numLayers) + " layers, " + std::to_string(c.numHeads) +
                     " heads";
  info.defaultFrames = kFrames;
  info.defaultWidth = kWidth;
  info.defaultHeight = kHeight;
  info.defaultSteps = kSteps;
  info.defaultGuidance = kGuidance;
  info.defaultShift = kShift;
  info.fps = kFps;
  info.frameMultiple = 4;  // the VAE turns T latent frames into 1 + 4(T − 1)
  info.frameOffset = 1;
  info.maxFrames = 161;
  info.sizeMultiple = 16;  // 8x VAE, then the DiT's 2x2 patches
  info.minSize = 16;
  info.maxSize = 2048;
  info.directory = fs::is_directory(inspection.path)
                       ? inspection.path
                       : fs::path(inspection.path).parent_path().string();
  return info;
}

}  // namespace

bool isWanCheckpoint(const std::string& path) {
  try {
    const CheckpointInspection i = inspectCheckpoint(path);
    return i.layout != "svgen" && i.transformer.found;
  } catch (const InputError&) {
    return false;
  }
}

ModelInfo WanModel::describe(const std::string& path) {
  return wanInfo(inspectRunnable(path));
}

WanModel::WanModel(CheckpointInspection inspection, ModelInfo info, const at::Device& device)
    : inspection_(std::move(inspection)),
      info_(std::move(info)),
      device_(device),
      dtype_(device.is_cuda() ? at::kBFloat16 : at::kFloat) {}

WanModel::~WanModel() = default;

std::unique_ptr<WanModel> WanModel::load(const std::string& path, const at::Device& device) {
  CheckpointInspection inspection = inspectRunnable(path);
  ModelInfo info = wanInfo(inspection);
  std::unique_ptr<WanModel> m(new WanModel(std::move(inspection), std::move(info), device));
  const CheckpointInspection& in = m->inspection_;
  m->tokenizer_ = std::make_unique<SentencePieceTokenizer>(
      in.tokenizer.files.empty() ? in.tokenizer.path : in.tokenizer.files.front());
  m->dit_ = std::make_unique<WanDiT>(
      in.config->config, toOriginalWanLayout(loadComponent(in.transformer)), device, m->dtype_);
  TensorMap vaeWeights = wanVaeKeysToDiffusers(loadComponent(in.vae));
  const auto vaeJson = componentConfig(in.vae);
  const WanVaeConfig vaeConfig =
      vaeJson ? wanVaeConfigFromJson(*vaeJson) : inferWanVaeConfigFromShapes(shapesOf(vaeWeights));
  if (vaeConfig.zDim != in.config->config.inChannels) {
    throw InputError(in.vae.path + ": the VAE's latent has " + std::to_string(vaeConfig.zDim) +
                     " channels but the transformer takes " +
                     std::to_string(in.config->config.inChannels));
  }
  m->vae_ = std::make_unique<WanVaeDecoder>(vaeConfig, vaeWeights, device, m->dtype_);
  return m;
}

void WanModel::checkPrompt(const std::string& prompt) const {
  tokenizer_->pieces(prompt);
}

at::Tensor WanModel::encodeText(const std::vector<std::string>& prompts) {
  if (prompts == lastPrompts_ && lastStates_.defined()) return lastStates_;
  const int length = dit_->config().textLen;
  const TokenizedPrompts tokens = tokenizer_->encode(prompts, length);
  const InspectedComponent& text = inspection_.textEncoder;
  at::Tensor states;
  {
    // Loaded for this call only: umT5-XXL holds 11 GB in bf16 that the DiT needs afterwards.
    TensorMap weights = loadComponent(text);
    const auto json = componentConfig(text);
    const Umt5Config config =
        json ? umt5ConfigFromJson(*json) : inferUmt5ConfigFromShapes(shapesOf(weights));
    if (config.dModel != dit_->config().textDim) {
      throw InputError(text.path + ": the text encoder's width is " +
                       std::to_string(config.dModel) + " but the transformer takes " +
                       std::to_string(dit_->config().textDim));
    }
    const Umt5Encoder encoder(config, weights, device_, dtype_);
    weights.clear();
    states = encoder.encode(tokens.ids, tokens.mask);
  }
  lastPrompts_ = prompts;
  lastStates_ = states;
  return states;
}

std::vector<int64_t> WanModel::latentShape(int frames, int height, int width) const {
  return {vae_->config().zDim, (frames - 1) / 4 + 1, height / 8, width / 8};
}

Video WanModel::decode(const at::Tensor& latent, int frames, double fps) {
  return videoFromUnitRange(vae_->decode(latent, [this](int, int) { checkCancel(); })[0], frames,
                            fps);
}

Video WanModel::preview(const at::Tensor& latent, int frames, double fps) {
  // The first latent frame alone decodes to the clip's first frame at a fraction of the cost.
  return videoFromUnitRange(vae_->decode(latent.narrow(2, 0, 1))[0], 1, fps);
}

}  // namespace svgen
