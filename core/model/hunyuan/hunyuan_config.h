// The HunyuanVideo transformer's configuration (HunyuanVideo T2V 13B: 20 dual-stream and 40
// single-stream blocks of 24 × 128), read from diffusers' config.json or worked out from the
// original layout's tensor shapes.
#pragma once
#include "core/model/required_weight.h"

#include <nlohmann/json.hpp>

#include <array>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace svgen {

struct HunyuanConfig {
  int inChannels = 16, outChannels = 16;
  int numHeads = 24, headDim = 128;
  int dualLayers = 20, singleLayers = 40, refinerLayers = 2;
  int mlpHidden = 12288;  // the blocks' feed-forward width (mlp_ratio 4)
  int refinerHeads = 24;  // the token refiner runs at the transformer's width and heads
  int patch = 2, patchT = 1;
  int textDim = 4096;          // the LLaVA-Llama-3 hidden states
  int pooledDim = 768;         // CLIP-L's pooled text
  bool guidanceEmbeds = true;  // guidance-distilled (HunyuanVideo T2V): one pass a step
  double ropeTheta = 256;
  std::array<int64_t, 3> ropeAxes = {16, 56, 56};  // head dims per axis (frames, height, width)
  double eps = 1e-6;

  int dim() const { return numHeads * headDim; }
  int patchVolume() const { return patchT * patch * patch; }
  // HunyuanVideo T2V 13B as released.
  static HunyuanConfig hunyuan13B() { return {}; }
  // The same make, small enough for a CPU: 2 heads of 128, 2 dual- and 2 single-stream blocks,
  // one refiner block, text states 64 wide (bench generate's hunyuan-test, the device selftest).
  static HunyuanConfig small() {
    HunyuanConfig c;
    c.numHeads = c.refinerHeads = 2;
    c.dualLayers = c.singleLayers = 2;
    c.refinerLayers = 1;
    c.mlpHidden = 4 * c.dim();
    c.textDim = 64;
    c.pooledDim = 32;
    return c;
  }
};

// Throws InputError when the numbers cannot make a model (zero sizes, RoPE axes that do not fill
// the head).
void validateConfig(const HunyuanConfig& config);

// diffusers' HunyuanVideoTransformer3DModel config.json. Throws InputError for a field of the
// wrong type, or an image-conditioned variant (image_condition_type) svgen does not run.
HunyuanConfig hunyuanConfigFromJson(const nlohmann::json& j);

// From shapes by original key name (hunyuan_keys.h): widths from img_in, heads from the q norm,
// blocks counted, RoPE axes as released (16, 56, 56 for 128-wide heads; other widths need the
// config.json). Throws InputError naming what is missing.
HunyuanConfig hunyuanConfigFromShapes(const std::map<std::string, std::vector<int64_t>>& shapes);

// Original names and shapes of every parameter a config needs.
WeightShapes hunyuanParameterShapes(const HunyuanConfig& config);

}  // namespace svgen
