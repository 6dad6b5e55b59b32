// Dimensions of a Wan 2.1 DiT. Everything the model builds is derived from these, so the same code
// runs the 1.3B and 14B checkpoints, tiny test configs and the built-in model.
#pragma once
#include <array>
#include <string>

namespace svgen {

struct WanConfig {
  int dim = 1536;
  int ffnDim = 8960;
  int numHeads = 12;
  int numLayers = 30;
  std::array<int, 3> patch = {1, 2, 2};  // frames, height, width
  int inChannels = 16;
  int outChannels = 16;
  int textDim = 4096;
  int freqDim = 256;
  int textLen = 512;  // text states are zero-padded to this many rows
  // Image-to-video (Wan 2.1 I2V): the width of the image encoder's tokens, which an MLP embeds and
  // cross-attention reads beside the text through keys and values of their own; 0 for
  // text-to-video. Its input channels then hold the image condition after the latent.
  int imageDim = 0;
  double eps = 1e-6;
  // "flow": the network predicts the velocity ε − x0 (Wan 2.1). "x0": it predicts the clean sample,
  // converted to a velocity for the sampler (the built-in pixel-space model trains far better so).
  std::string prediction = "flow";
  // "none" (Wan 2.1: positions only through RoPE, which is relative) or "sincos": a fixed 3D
  // sine-cosine embedding of each token's frame, row and column added after patchifying. From pure
  // noise a relative-only model cannot tell the first frame from the last, so its first x0
  // predictions are time-averaged (MODEL_CARD.md of the built-in model).
  std::string positionEmbedding = "none";

  int headDim() const { return dim / numHeads; }
  int patchVolume() const { return patch[0] * patch[1] * patch[2]; }

  static WanConfig wan13B();
  static WanConfig wan14B();
};

// Rejects impossible dimensions with an InputError naming the field.
void validateConfig(const WanConfig& config);

}  // namespace svgen
