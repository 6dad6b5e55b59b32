#include "core/model/builtin/builtin_model.h"

#include "core/common/error.h"
#include "core/common/json_fields.h"
#include "core/io/tensor_io.h"
#include "core/model/builtin/builtin_words.h"
#include "core/model/builtin/config_json.h"
#include "core/model/dit_step.h"
#include "core/model/video_frames.h"
#include "core/model/weight_init.h"

#include <ATen/ATen.h>
#include <c10/core/GradMode.h>

#include <cstdlib>
#include <filesystem>
#include <unistd.h>

namespace fs = std::filesystem;

namespace svgen {

namespace {

std::string executableDir() {
  std::error_code ec;
  fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  return ec ? std::string() : exe.parent_path().string();
}

}  // namespace

BuiltinSpec defaultBuiltinSpec() {
  BuiltinSpec s;
  s.dit.dim = 256;
  s.dit.ffnDim = 1024;
  s.dit.numHeads = 4;
  s.dit.numLayers = 8;
  s.dit.patch = {2, 8, 8};
  s.dit.inChannels = 3;
  s.dit.outChannels = 3;
  s.dit.textDim = 256;
  s.dit.freqDim = 256;
  s.dit.textLen = 32;
  s.dit.prediction = "x0";
  s.text.dim = 256;
  s.text.maxWords = 32;
  s.vocabulary = builtin_words::vocabulary();
  s.trained = false;
  s.label = "built-in (untrained: random weights)";
  s.description =
      "Shape-video DiT, pixel space, 128x128, patch 2x8x8. No trained weights are installed, so it "
      "runs on seeded random weights: the clips are noise-like patterns, not the prompt.";
  return s;
}

nlohmann::json toJson(const BuiltinSpec& s) {
  nlohmann::json j = {
      {"format", "svgen"},
      {"kind", "builtin"},
      {"dit", toJson(s.dit)},
      {"text_encoder", toJson(s.text)},
      {"vocabulary", s.vocabulary},
      {"defaults",
       {{"frames", s.frames},
        {"width", s.width},
        {"height", s.height},
        {"steps", s.steps},
        {"guidance", s.guidance},
        {"shift", s.shift},
        {"fps", s.fps}}},
      {"limits", {{"max_frames", s.maxFrames}, {"min_size", s.minSize}, {"max_size", s.maxSize}}},
      {"trained", s.trained},
      {"label", s.label},
      {"description", s.description}};
  // A pixel-space model's config has no "autoencoder" key, as before latent models existed.
  if (s.autoencoder.enabled()) j["autoencoder"] = toJson(s.autoencoder);
  return j;
}

BuiltinSpec builtinSpecFromJson(const nlohmann::json& j) {
  static const std::string W = "built-in model config.json";
  BuiltinSpec s = defaultBuiltinSpec();
  try {
    s.dit = wanConfigFromJson(j.at("dit"));
    if (j.contains("autoencoder") && !j.at("autoencoder").is_null())
      s.autoencoder = autoencoderConfigFromJson(j.at("autoencoder"));
    s.text = wordEncoderConfigFromJson(j.at("text_encoder"));
    s.vocabulary = j.at("vocabulary").get<std::vector<std::string>>();
    const auto& d = j.at("defaults");
    readJsonField(d, "frames", s.frames, W);
    readJsonField(d, "width", s.width, W);
    readJsonField(d, "height", s.height, W);
    readJsonField(d, "steps", s.steps, W);
    readJsonField(d, "guidance", s.guidance, W);
    readJsonField(d, "shift", s.shift, W);
    readJsonField(d, "fps", s.fps, W);
    if (j.contains("limits")) {
      const auto& l = j.at("limits");
      readJsonField(l, "max_frames", s.maxFrames, W);
      readJsonField(l, "min_size", s.minSize, W);
      readJsonField(l, "max_size", s.maxSize, W);
    }
    s.trained = j.value("trained", false);
    s.label = j.value("label", std::string("built-in"));
    s.description = j.value("description", std::string());
  } catch (const nlohmann::json::exception& e) {
    throw InputError(std::string("built-in model config.json: ") + e.what());
  }
  const int pixelChannels = s.autoencoder.enabled() ? s.autoencoder.latentChannels : 3;
  if (s.dit.inChannels != pixelChannels || s.dit.outChannels != pixelChannels) {
    throw InputError("built-in model config.json: the DiT's in and out channels must be " +
                     std::to_string(pixelChannels));
  }
  if (s.dit.textDim != s.text.dim) {
    throw InputError(
        "built-in model config.json: the DiT's text_dim differs from the encoder's dim");
  }
  return s;
}

BuiltinSpec withAutoencoder(BuiltinSpec s, int channels) {
  s.autoencoder.latentChannels = channels;
  s.dit.inChannels = s.dit.outChannels = channels;
  s.dit.patch = {1, 1, 1};
  return s;
}

bool isBuiltinFormatDir(const std::string& dir) {
  const fs::path config = fs::path(dir) / "config.json";
  if (!fs::is_regular_file(config)) return false;
  try {
    return readJsonFile(config.string()).value("format", std::string()) == "svgen";
  } catch (const InputError&) {
    return false;
  }
}

std::string findBuiltinModelDir() {
  std::vector<fs::path> candidates;
  if (const char* env = std::getenv("SVGEN_BUILTIN_MODEL")) candidates.emplace_back(env);
  const std::string exeDir = executableDir();
  if (!exeDir.empty()) candidates.push_back(fs::path(exeDir) / "../share/svgen/models/builtin");
  candidates.push_back(fs::path(SVGEN_SOURCE_DIR) / "resources/models/builtin");
  candidates.push_back(fs::path(SVGEN_INSTALL_DATADIR) / "models/builtin");
  for (const auto& c : candidates) {
    if (isBuiltinFormatDir(c.string())) return fs::weakly_canonical(c).string();
  }
  return {};
}

ModelInfo modelInfoFromSpec(const BuiltinSpec& s, const std::string& id) {
  ModelInfo info;
  info.id = id;
  info.label = s.label;
  info.trained = s.trained;
  info.description = s.description;
  info.defaultFrames = s.frames;
  info.defaultWidth = s.width;
  info.defaultHeight = s.height;
  info.defaultSteps = s.steps;
  info.defaultGuidance = s.guidance;
  info.defaultShift = s.shift;
  info.fps = s.fps;
  info.frameMultiple = 1;  // any count: frames are padded to the temporal patch and trimmed
  info.frameOffset = 0;
  info.maxFrames = s.maxFrames;
  const int space = s.autoencoder.enabled() ? kAutoencoderSpaceFactor : 1;
  info.sizeMultiple = std::max(s.dit.patch[1], s.dit.patch[2]) * space;
  info.minSize = s.minSize;
  info.maxSize = s.maxSize;
  info.vocabulary = s.vocabulary;
  info.layers = s.dit.numLayers;
  // A token spans the DiT's temporal patch of frames (2) and sizeMultiple pixels a side, through
  // the pixel patch or the autoencoder and a 1 × 1 × 1 patch; frames are padded to whole tokens.
  info.tokenFrames = 2;
  info.tokenPixels = info.sizeMultiple;
  return info;
}

BuiltinModel::BuiltinModel(BuiltinSpec spec, const TensorMap& weights, std::string id,
                           const at::Device& device)
    : spec_(std::move(spec)), info_(modelInfoFromSpec(spec_, id)) {
  // bf16 on CUDA, as Wan runs there (and the block-sparse kernel takes); float32 on the CPU, whose
  // kernels are float32.
  dit_ = std::make_unique<WanDiT>(spec_.dit, weights, device,
                                  device.is_cuda() ? at::kBFloat16 : at::kFloat);
  text_ = std::make_unique<WordEncoder>(spec_.text, spec_.vocabulary, weights, device);
  if (spec_.autoencoder.enabled())
    autoencoder_ = std::make_unique<ClipAutoencoder>(spec_.autoencoder, weights, device);
}

std::unique_ptr<BuiltinModel> BuiltinModel::load(const std::string& dir, const std::string& id,
                                                 const at::Device& device) {
  if (dir.empty()) {
    BuiltinSpec spec = defaultBuiltinSpec();
    TensorMap weights = initWanWeights(spec.dit, 1234, /*zeroHead=*/false);
    TensorMap text =
        initWordEncoderWeights(spec.text, static_cast<int>(spec.vocabulary.size()) + 1, 5678);
    weights.insert(text.begin(), text.end());
    return std::make_unique<BuiltinModel>(spec, weights, id, device);
  }
  BuiltinSpec spec = builtinSpecFromJson(readJsonFile((fs::path(dir) / "config.json").string()));
  TensorMap weights = loadTensors(dir);
  auto model = std::make_unique<BuiltinModel>(spec, weights, id, device);
  model->info_.directory = dir;
  return model;
}

ModelInfo BuiltinModel::describe(const std::string& dir, const std::string& id) {
  if (dir.empty()) return modelInfoFromSpec(defaultBuiltinSpec(), id);
  ModelInfo info = modelInfoFromSpec(
      builtinSpecFromJson(readJsonFile((fs::path(dir) / "config.json").string())), id);
  info.directory = dir;
  return info;
}

void BuiltinModel::checkPrompt(const std::string& prompt) const {
  text_->tokenizer().encode(prompt, spec_.text.maxWords);
}

at::Tensor BuiltinModel::encodeText(const std::vector<std::string>& prompts) {
  return text_->encode(prompts);
}

Conditioning BuiltinModel::encode(const std::string& prompt, const std::string* negative) {
  std::vector<std::string> prompts = {prompt};
  if (negative) prompts.push_back(*negative);
  Conditioning c;
  c.text = encodeText(prompts);
  c.withNegative = negative != nullptr;
  return c;
}

at::Tensor BuiltinModel::velocity(const at::Tensor& x, const Conditioning& c,
                                  const DenoiseStep& step) {
  return ditVelocity(*dit_, x, c, step);
}

std::vector<int64_t> BuiltinModel::latentShape(int frames, int height, int width) const {
  // Frames are padded to what one token spans and trimmed again after decoding.
  const bool latent = spec_.autoencoder.enabled();
  const int time = latent ? kAutoencoderTimeFactor : 1,
            space = latent ? kAutoencoderSpaceFactor : 1;
  const int span = spec_.dit.patch[0] * time;
  const int64_t paddedFrames = (frames + span - 1) / span * span;
  return {spec_.dit.inChannels, paddedFrames / time, height / space, width / space};
}

Video BuiltinModel::decode(const at::Tensor& latent, int frames, double fps) {
  // Pixel space: the latent is the clip in [−1, 1]; frames beyond the request are padding.
  if (!autoencoder_) return videoFromUnitRange(latent.squeeze(0), frames, fps);
  c10::NoGradGuard noGrad;
  return videoFromUnitRange(autoencoder_->decode(latent).squeeze(0), frames, fps);
}

std::string BuiltinModel::firstNonFiniteWeight() const {
  return firstNonFiniteTensor(dit_->parameters());
}

}  // namespace svgen
