// HunyuanVideo text-to-video from a diffusers pipeline folder: the prompt through LLaVA-Llama-3
// and CLIP-L (hunyuan_text.h), the HunyuanDiT with its embedded guidance (one pass a step, the
// guidance scale an input of the network), and the causal 3D VAE's framewise decode.
#pragma once
#include "core/model/checkpoint_inspection.h"
#include "core/model/hunyuan/hunyuan_dit.h"
#include "core/model/hunyuan/hunyuan_text.h"
#include "core/model/hunyuan/hunyuan_vae.h"
#include "core/model/video_model.h"

#include <memory>
#include <string>

namespace svgen {

class HunyuanModel : public VideoModel {
 public:
  // Throws InputError naming each missing or unusable component.
  static std::unique_ptr<HunyuanModel> load(const std::string& path, const at::Device& device,
                                            const MemoryChoices& memory = {});
  // Defaults and limits from config files and headers only.
  static ModelInfo describe(const std::string& path);
  ~HunyuanModel() override;

  const ModelInfo& info() const override { return info_; }
  // Any text tokenizes; a prompt past the 256 tokens the pipeline keeps is refused rather than
  // cut silently.
  void checkPrompt(const std::string& prompt) const override;
  // The encoders are loaded for the call and released after it (LLaVA-Llama-3-8B is 16 GB of
  // bfloat16); the last prompt's states are kept. The negative prompt is not used: guidance is
  // embedded in the network.
  Conditioning encode(const std::string& prompt, const std::string* negative) override;
  std::vector<int64_t> latentShape(int frames, int height, int width) const override;
  at::Tensor velocity(const at::Tensor& x, const Conditioning& c, const DenoiseStep& step) override;
  Video decode(const at::Tensor& latent, int frames, double fps) override;
  // The first latent frame alone: the clip's first frame.
  Video preview(const at::Tensor& latent, int frames, double fps) override;
  void setMemoryChoices(const MemoryChoices& choices) override;
  std::string firstNonFiniteWeight() const override;
  const HunyuanDiT& dit() const { return *dit_; }

 private:
  HunyuanModel(CheckpointInspection inspection, ModelInfo info, const at::Device& device);

  CheckpointInspection inspection_;
  ModelInfo info_;
  at::Device device_;
  at::ScalarType dtype_;
  std::unique_ptr<HunyuanDiT> dit_;
  std::unique_ptr<HunyuanVaeDecoder> vae_;
  std::unique_ptr<TokenizerJson> llamaTokenizer_;
  std::unique_ptr<ClipTokenizer> clipTokenizer_;
  LlamaConfig llamaConfig_;
  ClipTextConfig clipConfig_;
  MemoryChoices memory_;
  std::string lastPrompt_;
  at::Tensor lastText_, lastPooled_;
};

}  // namespace svgen
