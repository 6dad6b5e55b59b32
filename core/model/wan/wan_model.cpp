#include "core/model/wan/wan_model.h"

#include "core/common/device_memory.h"
#include "core/common/error.h"
#include "core/io/tensor_io.h"
#include "core/model/dit_step.h"
#include "core/model/structured_attention.h"
#include "core/model/video_frames.h"
#include "core/model/wan/wan_components.h"
#include "core/model/wan/wan_image_condition.h"
#include "core/text/sentencepiece_tokenizer.h"

#include <ATen/ATen.h>

#include <filesystem>

namespace fs = std::filesystem;

namespace svgen {

namespace {

// Wan 2.1's own sampling defaults (the Wan2.1 repository's text-to-video config and generate.py);
// 480p, 81 frames = 5 s at 16 fps.
constexpr int kFrames = 81, kWidth = 832, kHeight = 480, kSteps = 50;
constexpr double kGuidance = 5.0, kShift = 5.0, kFps = 16.0;

// Wan 2.2 A14B's (the Wan2.2 repository's t2v_A14B and i2v_A14B configs): 720p, 40 steps, the
// high-noise expert's guidance then the low-noise one's.
struct ExpertDefaults {
  double shift, guidance, lowNoiseGuidance;
};
constexpr ExpertDefaults kWan22TextToVideo{12.0, 4.0, 3.0}, kWan22ImageToVideo{5.0, 3.5, 3.5};
constexpr int kWan22Steps = 40, kWan22Width = 1280, kWan22Height = 720;
// TI2V-5B's (ti2v_5B): 121 frames at 24 fps (5 s), 1280×704, 50 steps, shift 5, guidance 5.
constexpr int kTi2vFrames = 121, kTi2vWidth = 1280, kTi2vHeight = 704;
constexpr double kTi2vFps = 24.0;

constexpr double kGiB = 1024.0 * 1024.0 * 1024.0;

// What a component holds on the GPU: 16-bit parameters, or where its files are packed (fp8,
// GGUF blocks, which the DiT keeps packed) or their count is unknown, the files' bytes.
double deviceGiB(const InspectedComponent& c) {
  bool wide = c.parameters > 0 && !c.dtypes.empty();
  for (const std::string& t : c.dtypes) wide = wide && (t == "F32" || t == "BF16" || t == "F16");
  if (wide) return 2.0 * static_cast<double>(c.parameters) / kGiB;
  double bytes = 0;
  for (const std::string& f : c.files) {
    std::error_code ec;
    const auto size = fs::file_size(f, ec);
    if (!ec) bytes += static_cast<double>(size);
  }
  return bytes / kGiB;
}

ModelInfo wanInfo(const CheckpointInspection& inspection) {
  const WanConfig& c = inspection.config->config;
  ModelInfo info;
  info.id = inspection.path;
  const std::string custom =
      inspection.imageToVideo ? "Wan 2.1 image-to-video (custom size)" : "Wan 2.1 (custom size)";
  info.label = (inspection.modelName == "custom" ? custom : inspection.modelName) + " — " +
               fs::path(inspection.path).filename().string();
  info.trained = true;
  info.description = inspection.layoutDescription + "; dim " + std::to_string(c.dim) + ", " +
                     std::to_string(c.numLayers) + " layers, " + std::to_string(c.numHeads) +
                     " heads";
  if (inspection.boundaryRatio > 0)
    info.description += "; two experts, the low-noise one below timestep " +
                        std::to_string(static_cast<int>(inspection.boundaryRatio * 1000));
  info.defaultFrames = kFrames;
  info.defaultWidth = kWidth;
  info.defaultHeight = kHeight;
  info.defaultSteps = kSteps;
  info.defaultGuidance = kGuidance;
  info.defaultShift = kShift;
  if (inspection.boundaryRatio > 0) {
    const ExpertDefaults& d = inspection.imageToVideo ? kWan22ImageToVideo : kWan22TextToVideo;
    info.defaultSteps = kWan22Steps;
    info.defaultWidth = kWan22Width;
    info.defaultHeight = kWan22Height;
    info.defaultShift = d.shift;
    info.defaultGuidance = d.guidance;
    info.defaultLowNoiseGuidance = d.lowNoiseGuidance;
    info.expertBoundary = inspection.boundaryRatio * 1000;
  }
  info.fps = kFps;
  const bool ti2v = inspection.vaeSpatialScale == 16 && inspection.boundaryRatio == 0;
  if (ti2v) {
    info.defaultFrames = kTi2vFrames;
    info.defaultWidth = kTi2vWidth;
    info.defaultHeight = kTi2vHeight;
    info.fps = kTi2vFps;
  }
  // TI2V makes video from text and, given a start image, from it as the first latent frame.
  info.imageToVideo = inspection.imageToVideo || ti2v;
  info.imageOptional = ti2v;
  // The VAE's 8x in space (16x for Wan 2.2's), then the DiT's 2x2 patches.
  const int pixelsPerLatent = inspection.vaeSpatialScale;
  info.frameMultiple = 4;  // the VAE turns T latent frames into 1 + 4(T − 1)
  info.frameOffset = 1;
  info.maxFrames = 161;
  info.sizeMultiple = pixelsPerLatent * c.patch[1];
  info.minSize = info.sizeMultiple;
  info.maxSize = 2048;
  info.layers = c.numLayers;
  // The whole-frame decode holds about 21.5 KiB of activations per pixel of a frame (H200: 8.4 GiB
  // at 832×480, 20.1 at 1280×720, weights excluded); tiles are diffusers' 256 pixels.
  info.decodeGiBPerPixel = 2.18e-5;
  info.decodeTile = 256;
  info.memory = wanMemory(c, deviceGiB(inspection.transformer) + deviceGiB(inspection.vae),
                          std::max<int64_t>(0, inspection.textEncoder.parameters));
  if (info.imageToVideo) {
    // CLIP in bfloat16 (Wan 2.1) and a second copy of the VAE (its encoder). The encoder's
    // activations are an estimate, not yet measured: four frames of 96 channels, about four
    // tensors live.
    const double clip = inspection.imageEncoderNeeded ? deviceGiB(inspection.imageEncoder) : 0;
    info.memory.imageEncoderGiB = clip + deviceGiB(inspection.vae);
    info.memory.imageEncodeBytesPerPixel = 4.0 * 96 * 2 * 4;
  }
  info.tokenFrames = 4;  // the VAE's 4x in time, the causal first frame alone; patch 1 in time
  info.firstFrameAlone = true;
  info.tokenPixels = pixelsPerLatent * c.patch[1];
  info.directory = fs::is_directory(inspection.path)
                       ? inspection.path
                       : fs::path(inspection.path).parent_path().string();
  return info;
}

}  // namespace

ModelInfo::Memory wanMemory(const WanConfig& config, double weightsGiB, int64_t textParameters) {
  ModelInfo::Memory m;
  m.weightsGiB = weightsGiB;
  // All but the embeddings, the head and the VAE (under 4% of the 1.3B, 1% of the 14B).
  m.blocks = config.numLayers;
  m.blocksGiB = 0.96 * weightsGiB;
  // umT5 unpacks to bfloat16 whatever its file holds, its feed-forward output matrices (a sixth
  // of it) to float32: 13.4 GB for umT5-XXL's 5.7 B.
  m.textEncoderGiB = 2.36 * static_cast<double>(textParameters) / kGiB;
  // Per token of one sample, in model widths of bytes: 33 at attention (q, k, v, their float32
  // rotations, the output), 19 kept through the feed-forward plus its three 16-bit hidden rows;
  // sparse attention's buffers add 24. Fitted to the 1.3B's peaks on an H100 at 1280×720, 81
  // frames, weights (3.06 GiB) included: 14.75 GiB dense with CFG as one batch (the feed-forward
  // peak; 8.2 at 832×480 on the H200), 6.58 with the guidance passes in turn and the feed-forward
  // in chunks (the attention peak), 19.95 and 8.96 the same with SVG.
  m.attentionBytesPerToken = 33.0 * config.dim;
  m.layerBytesPerToken = 19.0 * config.dim;
  m.ffnBytesPerToken = 6.0 * config.ffnDim;
  m.sparseBytesPerToken = 24.0 * config.dim;
  return m;
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

std::unique_ptr<WanModel> WanModel::load(const std::string& path, const at::Device& device,
                                         const MemoryChoices& memory) {
  CheckpointInspection inspection = inspectRunnable(path);
  ModelInfo info = wanInfo(inspection);
  std::unique_ptr<WanModel> m(new WanModel(std::move(inspection), std::move(info), device));
  const CheckpointInspection& in = m->inspection_;
  m->tokenizer_ = std::make_unique<SentencePieceTokenizer>(
      in.tokenizer.files.empty() ? in.tokenizer.path : in.tokenizer.files.front());
  m->memory_ = memory;
  // Of two experts, the high-noise one: the first steps are its.
  m->dit_ = loadWanDiT(in, device, m->dtype_, memory.streamBlocks);
  m->vae_ = loadWanVae(in, device, m->dtype_);
  return m;
}

void WanModel::setMemoryChoices(const MemoryChoices& choices) {
  if (choices.streamBlocks != memory_.streamBlocks) {
    dit_->place(device_, choices.streamBlocks);
    releaseCachedDeviceMemory(device_);
  }
  memory_ = choices;
}

bool WanModel::structureAttention(uint64_t seed, const std::array<int64_t, 3>& grid) {
  TensorMap heads = dit_->weightsNamed(structuredAttentionWeightNames(dit_->config()));
  svgen::structureAttention(heads, dit_->config(), seed, grid);
  dit_->replaceWeights(heads);
  structured_ = Structure{seed, grid};  // for the other expert when it loads
  return true;
}

void WanModel::useExpert(bool lowNoise) {
  if (lowNoise == lowNoiseLoaded_) return;
  // One expert on the device at a time: the one done with goes first (a 14B expert is 28 GB of
  // bfloat16). A second pass over the files comes from the page cache where memory allows.
  dit_.reset();
  releaseCachedDeviceMemory(device_);
  CheckpointInspection expert = inspection_;
  if (lowNoise) expert.transformer = inspection_.lowNoiseTransformer;
  dit_ = loadWanDiT(expert, device_, dtype_, memory_.streamBlocks);
  lowNoiseLoaded_ = lowNoise;
  if (structured_) {
    TensorMap heads = dit_->weightsNamed(structuredAttentionWeightNames(dit_->config()));
    // Its own heads, not a copy of the other expert's: another seed, the same calibration.
    svgen::structureAttention(heads, dit_->config(), structured_->seed + (lowNoise ? 1 : 0),
                              structured_->grid);
    dit_->replaceWeights(heads);
  }
}

void WanModel::checkPrompt(const std::string& prompt) const {
  tokenizer_->pieces(prompt);
}

at::Tensor WanModel::encodeText(const std::vector<std::string>& prompts) {
  const int length = dit_->config().textLen;
  const TokenizedPrompts tokens = tokenizer_->encode(prompts, length);
  // Loaded for this call only: umT5-XXL holds 13 GB (bf16, its feed-forward outputs float32)
  // that the DiT needs afterwards. The cache is emptied even when encoding fails. On the CPU for
  // a GPU run it computes in float32 from bfloat16 matrices: 11 GB of host memory, not 23.
  const bool onCpu = memory_.textEncoderOnCpu && !device_.is_cpu();
  if (prompts == lastPrompts_ && lastStates_.defined() && lastOnCpu_ == onCpu) return lastStates_;
  const at::Device where = onCpu ? at::Device(at::kCPU) : device_;
  at::Tensor states;
  try {
    // Held in the run's dtype either way; the CPU computes in float32.
    states = loadUmt5Encoder(inspection_, where, onCpu ? at::kFloat : dtype_, dtype_)
                 ->encode(tokens.ids, tokens.mask)
                 .to(device_);
  } catch (...) {
    releaseCachedDeviceMemory(device_);
    throw;
  }
  releaseCachedDeviceMemory(device_);
  lastPrompts_ = prompts;
  lastStates_ = states;
  lastOnCpu_ = onCpu;
  return states;
}

Conditioning WanModel::encode(const std::string& prompt, const std::string* negative) {
  std::vector<std::string> prompts = {prompt};
  if (negative) prompts.push_back(*negative);
  Conditioning c;
  c.text = encodeText(prompts);
  c.withNegative = negative != nullptr;
  return c;
}

void WanModel::addImage(Conditioning& c, const Video& image, int frames, int height, int width) {
  if (!info_.imageToVideo) return VideoModel::addImage(c, image, frames, height, width);
  const at::Tensor pixels = fitStartImage(image, height, width);
  if (info_.imageOptional) {
    // TI2V: the image alone through the VAE is the first latent frame (diffusers' WanImageToVideo
    // pipeline with expand_timesteps).
    try {
      const auto encoder = loadWanVaeEncoder(inspection_, device_, dtype_);
      c.firstFrame = encoder->encode(pixels.unsqueeze(2), [this](int, int) { checkCancel(); });
    } catch (...) {
      releaseCachedDeviceMemory(device_);
      throw;
    }
    releaseCachedDeviceMemory(device_);
    return;
  }
  try {
    if (inspection_.imageEncoderNeeded) {  // Wan 2.1; Wan 2.2 reads the latent condition alone
      const auto clip = loadClipVision(inspection_, device_, dtype_);
      c.imageTokens = clip->encode(clip->preprocess(pixels)).to(dtype_);
    }
    releaseCachedDeviceMemory(device_);
    checkCancel();
    const auto encoder = loadWanVaeEncoder(inspection_, device_, dtype_);
    const at::Tensor latent =
        encoder->encode(conditionClip(pixels, frames), [this](int, int) { checkCancel(); });
    c.imageLatent = at::cat(
        {firstFrameMask(latent.size(2), latent.size(3), latent.size(4), latent), latent}, 1);
  } catch (...) {
    releaseCachedDeviceMemory(device_);
    throw;
  }
  releaseCachedDeviceMemory(device_);
}

at::Tensor WanModel::constrainLatent(const at::Tensor& x, const Conditioning& c) const {
  if (!c.firstFrame.defined()) return x;
  return at::cat({c.firstFrame.to(x.device(), x.scalar_type()), x.narrow(2, 1, x.size(2) - 1)}, 2);
}

at::Tensor WanModel::velocity(const at::Tensor& x, const Conditioning& c, const DenoiseStep& step) {
  // Wan 2.2's rule (diffusers' WanPipeline): the high-noise expert at or above the boundary.
  const bool lowNoise = info_.expertBoundary > 0 && step.timestep < info_.expertBoundary;
  useExpert(lowNoise);
  if (!lowNoise) return ditVelocity(*dit_, x, c, step);
  DenoiseStep low = step;
  low.guidance = step.lowNoiseGuidance;
  return ditVelocity(*dit_, x, c, low);
}

std::vector<int64_t> WanModel::latentShape(int frames, int height, int width) const {
  const int scale = vae_->config().spatialScale();
  return {vae_->config().zDim, (frames - 1) / 4 + 1, height / scale, width / scale};
}

Video WanModel::decode(const at::Tensor& latent, int frames, double fps) {
  const auto check = [this](int, int) { checkCancel(); };
  // diffusers' default tiles: 256 pixels every 192.
  const at::Tensor rgb = memory_.tiledDecode ? vae_->decodeTiled(latent, {32, 24}, check)
                                             : vae_->decode(latent, check);
  return videoFromUnitRange(rgb[0], frames, fps);
}

Video WanModel::preview(const at::Tensor& latent, int frames, double fps) {
  // The first latent frame alone decodes to the clip's first frame at a fraction of the cost.
  return videoFromUnitRange(vae_->decode(latent.narrow(2, 0, 1))[0], 1, fps);
}

std::string WanModel::firstNonFiniteWeight() const {
  // Packed weights one at a time, so the check never holds the whole model unpacked.
  auto firstIn = [](const TensorMap& dense, const PackedMap& packed) {
    std::string name = firstNonFiniteTensor(dense);
    for (auto it = packed.begin(); name.empty() && it != packed.end(); ++it)
      if (!at::isfinite(it->second.unpack(at::kFloat)).all().item<bool>()) name = it->first;
    return name;
  };
  std::string name = firstIn(dit_->parameters(), dit_->packedParameters());
  for (const BlockWeights& block : dit_->hostBlocks())
    if (name.empty()) name = firstIn(block.dense, block.packed);
  return name;
}

}  // namespace svgen
