#include "core/model/hunyuan/hunyuan_model.h"

#include "core/common/device_memory.h"
#include "core/common/error.h"
#include "core/common/json_fields.h"
#include "core/io/packed_weights.h"
#include "core/io/tensor_io.h"
#include "core/model/hunyuan/hunyuan_inspection.h"
#include "core/model/hunyuan/hunyuan_keys.h"
#include "core/model/video_frames.h"

#include <ATen/ATen.h>

#include <filesystem>

namespace fs = std::filesystem;

namespace svgen {

namespace {

// diffusers' HunyuanVideoPipeline defaults: 1280×720, 129 frames (5.4 s at 24 fps), 50 steps,
// embedded guidance 6; its scheduler's shift is 7.
constexpr int kFrames = 129, kWidth = 1280, kHeight = 720, kSteps = 50;
constexpr double kGuidance = 6.0, kShift = 7.0, kFps = 24.0;
constexpr double kGiB = 1024.0 * 1024.0 * 1024.0;

CheckpointInspection inspectRunnableHunyuan(const std::string& path) {
  CheckpointInspection r = inspectHunyuanFolder(path);
  if (r.missing.empty()) return r;
  std::string why = path + ": this HunyuanVideo folder cannot run:";
  for (const std::string& key : r.missing) {
    const InspectedComponent& c = *r.component(key);
    why += "\n  " + key + ": " + (c.problem.empty() ? "not usable" : c.problem);
  }
  throw InputError(why);
}

fs::path configOf(const InspectedComponent& c) {
  return fs::path(c.path) / "config.json";
}

nlohmann::json jsonOrEmpty(const fs::path& p) {
  return fs::is_regular_file(p) ? readJsonFile(p.string()) : nlohmann::json::object();
}

HunyuanConfig ditConfig(const CheckpointInspection& in) {
  return hunyuanConfigFromJson(readJsonFile(configOf(in.transformer).string()));
}

ModelInfo hunyuanInfo(const CheckpointInspection& in, const HunyuanConfig& c) {
  const HunyuanVaeConfig v = hunyuanVaeConfigFromJson(jsonOrEmpty(configOf(in.vae)));
  ModelInfo info;
  info.id = in.path;
  info.label = in.modelName + " — " + fs::path(in.path).filename().string();
  info.trained = true;
  info.description = in.layoutDescription + "; " + std::to_string(c.dualLayers) + " dual + " +
                     std::to_string(c.singleLayers) + " single blocks of " +
                     std::to_string(c.numHeads) + " × " + std::to_string(c.headDim) +
                     "; guidance embedded (one pass a step)";
  info.defaultFrames = kFrames;
  info.defaultWidth = kWidth;
  info.defaultHeight = kHeight;
  info.defaultSteps = kSteps;
  info.defaultGuidance = kGuidance;
  info.defaultShift = kShift;
  info.fps = kFps;
  info.embeddedGuidance = c.guidanceEmbeds;
  info.sigmaSchedule = "hunyuan-video";
  info.defaultSampler = "euler";  // FlowMatchEulerDiscreteScheduler, as the pipeline runs
  info.frameMultiple = v.temporalRatio;
  info.frameOffset = 1;
  info.maxFrames = 129;  // what it was trained up to
  info.sizeMultiple = v.spatialRatio * c.patch;
  info.minSize = info.sizeMultiple;
  info.maxSize = 2048;
  info.layers = c.dualLayers + c.singleLayers;
  info.tokenFrames = v.temporalRatio * c.patchT;
  info.firstFrameAlone = true;
  info.tokenPixels = v.spatialRatio * c.patch;
  info.directory = in.path;
  // Not yet measured on a GPU: the decoder's widest stage (128 channels at full size, float32
  // group norms, 17 frames a window) suggests about 40 KiB a pixel whole, diffusers' 256-pixel
  // tiles when tiled.
  info.decodeGiBPerPixel = 4.0e-5;
  info.decodeTile = 256;
  auto gib16 = [](const InspectedComponent& x) {
    return 2.0 * static_cast<double>(std::max<int64_t>(0, x.parameters)) / kGiB;
  };
  ModelInfo::Memory& m = info.memory;
  m.weightsGiB = gib16(in.transformer) + gib16(in.vae);
  m.blocks = 0;  // the transformer's blocks do not stream (yet): all of it stays on the device
  // LLaVA-Llama-3's first 30 of 32 layers and its embeddings, and CLIP-L, in bfloat16.
  m.textEncoderGiB = 30.0 / 32.0 * gib16(in.textEncoder) + gib16(in.textEncoder2);
  // Wan's fitted per-token figures, scaled by width; the single-stream blocks' joined
  // projection (q, k, v and the MLP's input in one) raises the feed-forward row.
  m.attentionBytesPerToken = 33.0 * c.dim();
  m.layerBytesPerToken = 19.0 * c.dim();
  m.ffnBytesPerToken = 6.0 * c.mlpHidden + 6.0 * c.dim();
  m.sparseBytesPerToken = 24.0 * c.dim();
  return info;
}

TensorMap componentWeights(const InspectedComponent& c) {
  std::vector<std::string> files;
  for (const std::string& f : c.files)
    if (fs::path(f).extension() == ".safetensors") files.push_back(f);
  return loadWeights(files).unpackAll(at::kBFloat16);
}

}  // namespace

ModelInfo HunyuanModel::describe(const std::string& path) {
  const CheckpointInspection in = inspectRunnableHunyuan(path);
  return hunyuanInfo(in, ditConfig(in));
}

HunyuanModel::HunyuanModel(CheckpointInspection inspection, ModelInfo info,
                           const at::Device& device)
    : inspection_(std::move(inspection)),
      info_(std::move(info)),
      device_(device),
      dtype_(device.is_cuda() ? at::kBFloat16 : at::kFloat) {}

HunyuanModel::~HunyuanModel() = default;

std::unique_ptr<HunyuanModel> HunyuanModel::load(const std::string& path, const at::Device& device,
                                                 const MemoryChoices& memory) {
  CheckpointInspection inspection = inspectRunnableHunyuan(path);
  const HunyuanConfig config = ditConfig(inspection);
  ModelInfo info = hunyuanInfo(inspection, config);
  std::unique_ptr<HunyuanModel> m(new HunyuanModel(std::move(inspection), std::move(info), device));
  const CheckpointInspection& in = m->inspection_;
  m->memory_ = memory;
  m->llamaTokenizer_ = std::make_unique<TokenizerJson>(in.tokenizer.path);
  m->clipTokenizer_ = std::make_unique<ClipTokenizer>(in.tokenizer2.path);
  // The encoders load per prompt; their configs are read now, and their widths checked against
  // the transformer's.
  m->llamaConfig_ = llamaConfigFromJson(readJsonFile(configOf(in.textEncoder).string()));
  m->clipConfig_ = clipTextConfigFromJson(readJsonFile(configOf(in.textEncoder2).string()));
  const LlamaConfig& llama = m->llamaConfig_;
  const ClipTextConfig& clip = m->clipConfig_;
  if (llama.hiddenSize != config.textDim || clip.layer.hiddenSize != config.pooledDim)
    throw InputError(path + ": the text encoders do not fit the transformer: text_encoder is " +
                     std::to_string(llama.hiddenSize) + " wide and text_encoder_2 " +
                     std::to_string(clip.layer.hiddenSize) + ", the transformer takes " +
                     std::to_string(config.textDim) + " and " + std::to_string(config.pooledDim) +
                     " (are they from another model?)");
  m->dit_ = std::make_unique<HunyuanDiT>(
      config, toOriginalHunyuanLayout(componentWeights(in.transformer)), device, m->dtype_);
  m->vae_ =
      std::make_unique<HunyuanVaeDecoder>(hunyuanVaeConfigFromJson(jsonOrEmpty(configOf(in.vae))),
                                          componentWeights(in.vae), device, m->dtype_);
  m->vae_->setSpatialTiling(memory.tiledDecode);
  return m;
}

void HunyuanModel::setMemoryChoices(const MemoryChoices& choices) {
  memory_ = choices;
  vae_->setSpatialTiling(choices.tiledDecode);
}

void HunyuanModel::checkPrompt(const std::string& prompt) const {
  const HunyuanLlamaIds ids = hunyuanLlamaIds(*llamaTokenizer_, prompt);
  if (ids.dropped > 0)
    throw InputError("the prompt is " + std::to_string(ids.dropped) + " tokens longer than the " +
                     std::to_string(kHunyuanTextTokens) + " HunyuanVideo reads: shorten it");
}

Conditioning HunyuanModel::encode(const std::string& prompt, const std::string*) {
  if (prompt != lastPrompt_ || !lastText_.defined()) {
    const bool onCpu = memory_.textEncoderOnCpu || device_.is_cpu();
    const at::Device where = onCpu ? at::Device(at::kCPU) : device_;
    try {
      const at::ScalarType compute = onCpu ? at::kFloat : dtype_;
      const LlamaTextEncoder llama(llamaConfig_, componentWeights(inspection_.textEncoder), where,
                                   compute, kHunyuanHiddenState, at::kBFloat16);
      checkCancel();
      const ClipTextEncoder clip(clipConfig_, componentWeights(inspection_.textEncoder2), where,
                                 compute);
      const HunyuanTextInputs inputs =
          encodeHunyuanPrompt(*llamaTokenizer_, llama, *clipTokenizer_, clip, prompt);
      lastText_ = inputs.text.to(device_);
      lastPooled_ = inputs.pooled.to(device_);
      lastPrompt_ = prompt;
    } catch (...) {
      releaseCachedDeviceMemory(device_);
      throw;
    }
    releaseCachedDeviceMemory(device_);
  }
  Conditioning c;
  c.text = lastText_;
  c.pooled = lastPooled_;
  return c;
}

std::vector<int64_t> HunyuanModel::latentShape(int frames, int height, int width) const {
  const HunyuanVaeConfig& v = vae_->config();
  return {v.latentChannels, (frames - 1) / v.temporalRatio + 1, height / v.spatialRatio,
          width / v.spatialRatio};
}

at::Tensor HunyuanModel::velocity(const at::Tensor& x, const Conditioning& c,
                                  const DenoiseStep& step) {
  const HunyuanConfig& cfg = dit_->config();
  const auto opts = at::TensorOptions().dtype(at::kFloat).device(device_);
  HunyuanForwardOptions o;
  o.attention = step.attention;
  o.step = step.index;
  o.numSteps = step.count;
  o.beforeLayer = step.beforeLayer;
  // The pipeline feeds guidance_scale · 1000 to the guidance embedding.
  const at::Tensor guidance =
      cfg.guidanceEmbeds ? at::full({1}, step.guidance * 1000.0, opts) : at::Tensor();
  return dit_->forward(x.to(device_), at::full({1}, step.timestep, opts), c.text, c.pooled,
                       guidance, o);
}

Video HunyuanModel::decode(const at::Tensor& latent, int frames, double fps) {
  const at::Tensor z = latent.to(device_) / vae_->config().scalingFactor;
  const at::Tensor rgb = vae_->decode(z, [this] { checkCancel(); });
  return videoFromUnitRange(rgb[0], frames, fps);
}

Video HunyuanModel::preview(const at::Tensor& latent, int frames, double fps) {
  const at::Tensor z = latent.narrow(2, 0, 1).to(device_) / vae_->config().scalingFactor;
  return videoFromUnitRange(vae_->decode(z)[0], 1, fps);
}

std::string HunyuanModel::firstNonFiniteWeight() const {
  return firstNonFiniteTensor(dit_->parameters());
}

}  // namespace svgen
