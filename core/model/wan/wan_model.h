// Wan 2.1 text- and image-to-video and Wan 2.2 A14B from the files users have: a diffusers folder,
// ComfyUI single files or the original repository's folder (whatever inspectCheckpoint
// recognises). umT5 text states → the WanDiT (of two experts, the one for the step's noise level)
// over VAE latents → the Wan-VAE decoder. Every dimension comes from the files.
#pragma once
#include "core/model/checkpoint_inspection.h"
#include "core/model/video_model.h"
#include "core/model/wan_dit.h"

#include <algorithm>
#include <array>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace svgen {

class SentencePieceTokenizer;
class Umt5Encoder;
class WanVaeDecoder;

struct ModelFamily;
// A registry entry of checkpoints WanModel runs, in any Wan layout, that `claims` takes.
ModelFamily wanModelFamily(std::string id, std::string label, std::string expects, int order,
                           std::function<bool(const CheckpointInspection&)> claims);
// The registry entry of Wan 2.1 text- or image-to-video checkpoints, or of Wan 2.2's two-expert
// ones.
ModelFamily wanFamily(bool imageToVideo, bool twoExperts);

// What a Wan run holds on the GPU (ModelInfo::memory) for a DiT of `config`, weights of
// `weightsGiB` on the device (DiT and VAE) and a text encoder of `textParameters` parameters.
ModelInfo::Memory wanMemory(const WanConfig& config, double weightsGiB, int64_t textParameters);

class WanModel : public VideoModel {
 public:
  // Throws InputError naming each missing or unreadable component and what to do about it.
  static std::unique_ptr<WanModel> load(const std::string& path, const at::Device& device,
                                        const MemoryChoices& memory = {});
  // Defaults and limits from headers and config files only.
  static ModelInfo describe(const std::string& path);
  ~WanModel() override;

  const ModelInfo& info() const override { return info_; }
  const WanDiT& dit() const { return *dit_; }  // of two experts, the one loaded now
  void checkPrompt(const std::string& prompt) const override;
  // On CUDA the encoder is loaded for the call and released after it (umT5-XXL is 13 GB on the
  // GPU); the last prompts' states are kept, so a sweep over budgets encodes once.
  at::Tensor encodeText(const std::vector<std::string>& prompts);
  Conditioning encode(const std::string& prompt, const std::string* negative) override;
  // Image-to-video: CLIP's tokens of the image and the VAE-encoded first-frame condition. Both
  // encoders are loaded for the call and released after it, like umT5.
  void addImage(Conditioning& c, const Video& image, int frames, int height, int width) override;
  std::vector<int64_t> latentShape(int frames, int height, int width) const override;
  // TI2V: the start image's latent as the first frame.
  at::Tensor constrainLatent(const at::Tensor& x, const Conditioning& c) const override;
  // Two experts: the step's timestep picks one (loading it in place of the other when needed),
  // and the low-noise one guides with step.lowNoiseGuidance.
  at::Tensor velocity(const at::Tensor& x, const Conditioning& c, const DenoiseStep& step) override;
  Video decode(const at::Tensor& latent, int frames, double fps) override;
  // Streamed blocks move between host and device here when that choice changes.
  void setMemoryChoices(const MemoryChoices& choices) override;
  bool structureAttention(uint64_t seed, const std::array<int64_t, 3>& grid) override;
  Video preview(const at::Tensor& latent, int frames, double fps) override;
  std::string firstNonFiniteWeight() const override;

 private:
  WanModel(CheckpointInspection inspection, ModelInfo info, const at::Device& device);
  void useExpert(bool lowNoise);

  CheckpointInspection inspection_;
  ModelInfo info_;
  at::Device device_;
  at::ScalarType dtype_;
  std::unique_ptr<WanDiT> dit_;
  bool lowNoiseLoaded_ = false;  // dit_ is the low-noise expert of two
  struct Structure {
    uint64_t seed;
    std::array<int64_t, 3> grid;
  };
  std::optional<Structure> structured_;  // structureAttention's, applied to each expert loaded
  std::unique_ptr<SentencePieceTokenizer> tokenizer_;
  std::unique_ptr<Umt5Encoder> encoder_;  // null between calls on CUDA
  MemoryChoices memory_;
  std::unique_ptr<WanVaeDecoder> vae_;
  std::vector<std::string> lastPrompts_;
  at::Tensor lastStates_;
  bool lastOnCpu_ = false;  // where lastStates_ were encoded (the CPU computes in float32)
};

}  // namespace svgen
