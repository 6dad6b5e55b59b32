// A Wan 2.1 DiT's configuration read without building the model: from a config.json in either key
// style, or worked out from tensor shapes. Each field not stated anywhere is listed with why it was
// assumed, so `svgen inspect` can tell users what it knows from what it guessed.
#pragma once
#include "core/model/wan_config.h"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace svgen {

struct DescribedWanConfig {
  WanConfig config;
  std::string source;  // "config.json" or "tensor shapes"
  // Field (config.json spelling: dim, ffn_dim, num_heads, ...) → why its value was assumed.
  std::map<std::string, std::string> assumed;
  // Shapes that contradict each other; the config is then only a best guess.
  std::vector<std::string> problems;
};

// Tensor shapes by original Wan key name (prefix stripped, diffusers names mapped back).
using WanShapeMap = std::map<std::string, std::vector<int64_t>>;

// Dim and patch from patch_embedding.weight, layers from the blocks.N present, ffn from
// blocks.0.ffn.0.weight, text and frequency dims from the embeddings' first linears, out channels
// from head.head.weight over the patch volume. No tensor records the head count (q/k norms span the
// full dim), so heads = dim / 128 as in both released models. Throws InputError when
// patch_embedding.weight is absent or not 5-D, since nothing else can be derived then.
DescribedWanConfig inferWanConfigFromShapes(const WanShapeMap& shapes);

// Accepts the original repository's keys (dim, num_heads, in_dim, out_dim, ...; svgen's own config
// uses them too) and diffusers' (num_attention_heads × attention_head_dim, in_channels, ...).
// Throws InputError for a field of the wrong type.
DescribedWanConfig wanConfigFromAnyJson(const nlohmann::json& j);

// One line per field both sides state (neither assumed) with different values.
std::vector<std::string> wanConfigConflicts(const DescribedWanConfig& stated,
                                            const DescribedWanConfig& fromShapes);

// "Wan 2.1 T2V 1.3B", "Wan 2.1 T2V 14B", "Wan 2.1 I2V 14B", "Wan 2.2 TI2V 5B" or "custom".
std::string wanModelName(const WanConfig& config);

// Pixels per latent pixel of the VAE a transformer of `config` works with, when the VAE itself is
// not at hand: 16 for Wan 2.2's 48 latent channels (three 2x stages and 2×2 patches), else Wan
// 2.1's 8.
inline int wanVaeScaleOfLatents(const WanConfig& config) {
  return config.outChannels == 48 ? 16 : 8;
}

}  // namespace svgen
