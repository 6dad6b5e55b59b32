// The built-in model: a small Wan-architecture DiT with a word-level text encoder, in pixel space
// or in the latent space of its own small autoencoder (clip_autoencoder.h).
// Its folder holds config.json (this spec) and model.safetensors (or shards with an index).
#pragma once
#include "core/model/builtin/clip_autoencoder.h"
#include "core/model/builtin/word_encoder.h"
#include "core/model/video_model.h"
#include "core/model/wan_config.h"
#include "core/model/wan_dit.h"

#include <nlohmann/json.hpp>

#include <memory>
#include <string>
#include <vector>

namespace svgen {

struct BuiltinSpec {
  WanConfig dit;
  WordEncoderConfig text;
  AutoencoderConfig autoencoder;  // disabled: the DiT works on pixels
  std::vector<std::string> vocabulary;
  int frames = 16, width = 128, height = 128, steps = 20;
  double guidance = 2.0, shift = 3.0, fps = 8.0;  // stronger guidance oversaturates x0 predictions
  int maxFrames = 64, minSize = 32, maxSize = 512;
  bool trained = false;
  std::string label;
  std::string description;
};

// The architecture the shipped model uses (untrained: no weights yet).
BuiltinSpec defaultBuiltinSpec();
nlohmann::json toJson(const BuiltinSpec& spec);
BuiltinSpec builtinSpecFromJson(const nlohmann::json& j);

// The same model in the latent space of an autoencoder with `channels` latent channels. The DiT's
// patch becomes 1 × 1 × 1: from the shipped 2 × 8 × 8 pixel patch, the token grid stays the same.
BuiltinSpec withAutoencoder(BuiltinSpec spec, int channels);

// The folder of the shipped built-in model, or "" when this install has none (then "builtin" runs
// a randomly initialised, clearly labelled untrained model).
std::string findBuiltinModelDir();

// True when `dir` is a model folder in the built-in format (config.json with "format": "svgen").
bool isBuiltinFormatDir(const std::string& dir);

class BuiltinModel : public VideoModel {
 public:
  BuiltinModel(BuiltinSpec spec, const TensorMap& weights, std::string id,
               const at::Device& device);
  // `dir` empty: the untrained default spec with seeded random weights.
  static std::unique_ptr<BuiltinModel> load(const std::string& dir, const std::string& id,
                                            const at::Device& device);
  static ModelInfo describe(const std::string& dir, const std::string& id);

  const ModelInfo& info() const override { return info_; }
  const WanDiT& dit() const { return *dit_; }
  const WordEncoder& textEncoder() const { return *text_; }
  const BuiltinSpec& spec() const { return spec_; }
  // Null for a pixel-space model.
  const ClipAutoencoder* autoencoder() const { return autoencoder_.get(); }
  void checkPrompt(const std::string& prompt) const override;
  // Word-encoder states (B, words, textDim), one row per prompt.
  at::Tensor encodeText(const std::vector<std::string>& prompts);
  Conditioning encode(const std::string& prompt, const std::string* negative) override;
  std::vector<int64_t> latentShape(int frames, int height, int width) const override;
  at::Tensor velocity(const at::Tensor& x, const Conditioning& c, const DenoiseStep& step) override;
  Video decode(const at::Tensor& latent, int frames, double fps) override;
  std::string firstNonFiniteWeight() const override;

 private:
  BuiltinSpec spec_;
  ModelInfo info_;
  std::unique_ptr<WanDiT> dit_;
  std::unique_ptr<WordEncoder> text_;
  std::unique_ptr<ClipAutoencoder> autoencoder_;  // null in pixel space
};

ModelInfo modelInfoFromSpec(const BuiltinSpec& spec, const std::string& id);

}  // namespace svgen
