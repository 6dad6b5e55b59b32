#include "core/model/wan_config.h"

#include "core/common/error.h"

namespace svgen {

WanConfig WanConfig::wan13B() {
  return WanConfig{};
}

WanConfig WanConfig::wan14B() {
  WanConfig c;
  c.dim = 5120;
  c.ffnDim = 13824;
  c.numHeads = 40;
  c.numLayers = 40;
  return c;
}

void validateConfig(const WanConfig& c) {
  auto need = [](bool ok, const std::string& what) {
    if (!ok) throw InputError("model config: " + what);
  };
  need(c.dim > 0 && c.numHeads > 0 && c.dim % c.numHeads == 0,
       "dim (" + std::to_string(c.dim) + ") must be a positive multiple of num_heads (" +
           std::to_string(c.numHeads) + ")");
  need(c.headDim() % 2 == 0, "head dim must be even for RoPE");
  need(c.headDim() >= 6, "head dim must be at least 6 for 3D RoPE");
  need(c.ffnDim > 0, "ffn_dim must be positive");
  need(c.numLayers >= 0, "num_layers must not be negative");
  need(c.patch[0] > 0 && c.patch[1] > 0 && c.patch[2] > 0, "patch sizes must be positive");
  need(c.inChannels > 0 && c.outChannels > 0, "in/out channels must be positive");
  need(c.textDim > 0 && c.textLen > 0, "text_dim and text_len must be positive");
  need(c.freqDim > 0 && c.freqDim % 2 == 0, "freq_dim must be positive and even");
  // The image condition (4 mask channels and the encoded frames) follows the latent's channels.
  need(c.imageDim >= 0, "image_dim must not be negative");
  need(c.imageDim == 0 || c.inChannels > c.outChannels,
       "an image-to-video model (image_dim " + std::to_string(c.imageDim) +
           ") needs more input channels than output channels for the image condition");
  need(c.prediction == "flow" || c.prediction == "x0",
       "prediction must be \"flow\" or \"x0\", not \"" + c.prediction + "\"");
  need(c.positionEmbedding == "none" || c.positionEmbedding == "sincos",
       "position_embedding must be \"none\" or \"sincos\", not \"" + c.positionEmbedding + "\"");
}

}  // namespace svgen
