#include "core/model/wan/wan_vae_config.h"

#include "core/common/error.h"
#include "core/common/json_fields.h"

#include <cmath>
#include <regex>

namespace svgen {

namespace {

// The key without anything in front of the VAE's own top-level names.
std::string withoutPrefix(const std::string& key) {
  return fromRootName(
      key, {"decoder.", "encoder.", "post_quant_conv.", "quant_conv.", "conv1.", "conv2."});
}

// Original residual-block leaf names → diffusers'.
std::string residualLeaf(const std::string& leaf) {
  static const std::map<std::string, std::string> names = {
      {"residual.0.gamma", "norm1.gamma"},         {"residual.2.weight", "conv1.weight"},
      {"residual.2.bias", "conv1.bias"},           {"residual.3.gamma", "norm2.gamma"},
      {"residual.6.weight", "conv2.weight"},       {"residual.6.bias", "conv2.bias"},
      {"shortcut.weight", "conv_shortcut.weight"}, {"shortcut.bias", "conv_shortcut.bias"}};
  auto it = names.find(leaf);
  return it == names.end() ? std::string() : it->second;
}

}  // namespace

WanVaeConfig wanVae21Config() {
  WanVaeConfig c;
  c.latentsMean = {-0.7571, -0.7089, -0.9113, 0.1075,  -0.1745, 0.9653,  -0.1517, 1.5508,
                   0.4134,  -0.0715, 0.5517,  -0.3632, -0.1922, -0.9497, 0.2503,  -0.2921};
  c.latentsStd = {2.8184, 1.4541, 2.3275, 2.6558, 1.2196, 1.7708, 2.6052, 2.0743,
                  3.2687, 2.1526, 2.8652, 1.5579, 1.6382, 1.1253, 2.8251, 1.9160};
  return c;
}

WanVaeConfig wanVae22Config() {
  WanVaeConfig c;
  c.baseDim = 160;
  c.decoderBaseDim = 256;
  c.zDim = 48;
  c.residual = true;
  c.patchSize = 2;
  c.latentsMean = {-0.2289, -0.0052, -0.1323, -0.2339, -0.2799, 0.0174,  0.1838,  0.1557,
                   -0.1382, 0.0542,  0.2813,  0.0891,  0.1570,  -0.0098, 0.0375,  -0.1825,
                   -0.2246, -0.1207, -0.0698, 0.5109,  0.2665,  -0.2108, -0.2158, 0.2502,
                   -0.2055, -0.0322, 0.1109,  0.1567,  -0.0729, 0.0899,  -0.2799, -0.1230,
                   -0.0313, -0.1649, 0.0117,  0.0723,  -0.2839, -0.2083, -0.0520, 0.3748,
                   0.0152,  0.1957,  0.1433,  -0.2944, 0.3573,  -0.0548, -0.1681, -0.0667};
  c.latentsStd = {0.4765, 1.0364, 0.4514, 1.1677, 0.5313, 0.4990, 0.4818, 0.5013, 0.8158, 1.0344,
                  0.5894, 1.0901, 0.6885, 0.6165, 0.8454, 0.4978, 0.5759, 0.3523, 0.7135, 0.6804,
                  0.5833, 1.4146, 0.8986, 0.5659, 0.7069, 0.5338, 0.4889, 0.4917, 0.4069, 0.4999,
                  0.6866, 0.4093, 0.5709, 0.6065, 0.6415, 0.4944, 0.5726, 1.2042, 0.5458, 1.6887,
                  0.3971, 1.0600, 0.3943, 0.5537, 0.5444, 0.4089, 0.7468, 0.7744};
  return c;
}

WanVaeConfig wanVaeConfigFromJson(const nlohmann::json& j) {
  WanVaeConfig c;
  const std::string what = "vae config.json";
  try {
    c.baseDim = jsonRequired<int>(j, "base_dim", what);
    readJsonField(j, "decoder_base_dim", c.decoderBaseDim, what);
    c.zDim = jsonRequired<int>(j, "z_dim", what);
    readJsonField(j, "dim_mult", c.dimMult, what);
    readJsonField(j, "num_res_blocks", c.numResBlocks, what);
    c.temporalDownsample = j.value("temperal_downsample", c.temporalDownsample);
    c.latentsMean = j.at("latents_mean").get<std::vector<double>>();
    c.latentsStd = j.at("latents_std").get<std::vector<double>>();
    c.residual = j.value("is_residual", false);
    if (j.contains("patch_size") && !j.at("patch_size").is_null())
      readJsonField(j, "patch_size", c.patchSize, what);
    int in = c.pixelChannels(), out = c.pixelChannels();
    readJsonField(j, "in_channels", in, what);
    readJsonField(j, "out_channels", out, what);
    if (c.patchSize < 1 || in != c.pixelChannels() || out != c.pixelChannels())
      throw InputError("vae config.json: in_channels and out_channels must be 3 · patch_size² (" +
                       std::to_string(c.pixelChannels()) + "), got " + std::to_string(in) +
                       " and " + std::to_string(out));
  } catch (const nlohmann::json::exception& e) {
    throw InputError(std::string("vae config.json: ") + e.what());
  }
  if (static_cast<int>(c.latentsMean.size()) != c.zDim ||
      static_cast<int>(c.latentsStd.size()) != c.zDim)
    throw InputError("vae config.json: latents_mean and latents_std need z_dim entries each");
  if (c.dimMult.empty() || c.temporalDownsample.size() + 1 != c.dimMult.size())
    throw InputError("vae config.json: temperal_downsample needs one entry fewer than dim_mult");
  return c;
}

TensorMap wanVaeKeysToDiffusers(const TensorMap& weights) {
  // Original decoder.upsamples is flat: per stage, num_res_blocks + 1 residual blocks and then
  // (except the last stage) one resample. The first resample's index gives the stride.
  int stride = -1;
  const std::regex resample(R"(^decoder\.upsamples\.(\d+)\.(resample|time_conv)\.)");
  for (const auto& [raw, t] : weights) {
    std::smatch m;
    const std::string key = withoutPrefix(raw);
    if (std::regex_search(key, m, resample)) {
      const int index = std::stoi(m[1]);
      if (stride < 0 || index + 1 < stride) stride = index + 1;
    }
  }
  const std::regex upsample(R"(^decoder\.upsamples\.(\d+)\.(.*)$)");
  const std::regex middle(R"(^(encoder|decoder)\.middle\.(\d+)\.(.*)$)");
  const std::regex head(R"(^(encoder|decoder)\.head\.(0|2)\.(.*)$)");
  // The encoder's downsamples are flat in both layouts, with the same indices.
  const std::regex downsample(R"(^encoder\.downsamples\.(\d+)\.(.*)$)");
  // Wan 2.2's stages nest their layers: residual blocks, then the resample.
  const std::regex nested(
      R"(^(encoder\.downsamples|decoder\.upsamples)\.(\d+)\.(?:down|up)samples\.(\d+)\.(.*)$)");
  TensorMap out;
  for (const auto& [raw, t] : weights) {
    const std::string key = withoutPrefix(raw);
    std::smatch m;
    std::string name;
    if (key.rfind("conv1.", 0) == 0) {
      name = "quant_conv." + key.substr(6);
    } else if (key.rfind("conv2.", 0) == 0) {
      name = "post_quant_conv." + key.substr(6);
    } else if (key.rfind("decoder.conv1.", 0) == 0 || key.rfind("encoder.conv1.", 0) == 0) {
      name = key.substr(0, 8) + "conv_in." + key.substr(14);
    } else if (std::regex_match(key, m, head)) {
      name = m[1].str() + (m[2] == "0" ? ".norm_out." : ".conv_out.") + m[3].str();
    } else if (std::regex_match(key, m, middle)) {
      const int i = std::stoi(m[2]);
      if (i == 1) {
        name = m[1].str() + ".mid_block.attentions.0." + m[3].str();
      } else {
        const std::string leaf = residualLeaf(m[3]);
        name = leaf.empty()
                   ? key
                   : m[1].str() + ".mid_block.resnets." + std::to_string(i / 2) + "." + leaf;
      }
    } else if (std::regex_match(key, m, nested)) {
      const bool encoder = m[1].str()[0] == 'e';
      const std::string stage =
          (encoder ? "encoder.down_blocks." : "decoder.up_blocks.") + m[2].str() + ".";
      const std::string rest = m[4];
      const std::string leaf = residualLeaf(rest);
      if (rest.rfind("resample.", 0) == 0 || rest.rfind("time_conv.", 0) == 0)
        name = stage + (encoder ? "downsampler." : "upsampler.") + rest;
      else
        name = leaf.empty() ? key : stage + "resnets." + m[3].str() + "." + leaf;
    } else if (std::regex_match(key, m, downsample)) {
      const std::string leaf = residualLeaf(m[2]);
      name = "encoder.down_blocks." + m[1].str() + "." + (leaf.empty() ? m[2].str() : leaf);
    } else if (std::regex_match(key, m, upsample) && stride > 0) {
      const int i = std::stoi(m[1]);
      const int block = i / stride, inner = i % stride;
      const std::string rest = m[2];
      if (inner == stride - 1) {
        name = "decoder.up_blocks." + std::to_string(block) + ".upsamplers.0." + rest;
      } else {
        const std::string leaf = residualLeaf(rest);
        name = leaf.empty() ? key
                            : "decoder.up_blocks." + std::to_string(block) + ".resnets." +
                                  std::to_string(inner) + "." + leaf;
      }
    } else if (std::regex_match(key, m, upsample)) {
      // No resample at all: a single stage.
      const std::string leaf = residualLeaf(m[2]);
      name = leaf.empty() ? key : "decoder.up_blocks.0.resnets." + m[1].str() + "." + leaf;
    } else {
      name = key;  // diffusers names already
    }
    out[name] = t;
  }
  return out;
}

WanVaeConfig inferWanVaeConfigFromShapes(
    const std::map<std::string, std::vector<int64_t>>& shapes) {
  auto shape = [&](const std::string& key) -> const std::vector<int64_t>* {
    auto it = shapes.find(key);
    return it == shapes.end() ? nullptr : &it->second;
  };
  const auto* post = shape("post_quant_conv.weight");
  const auto* out = shape("decoder.conv_out.weight");
  if (!post || !out || post->size() != 5 || out->size() != 5)
    throw InputError(
        "the VAE's tensors are not a Wan VAE's decoder (expected post_quant_conv and "
        "decoder.conv_out, or the original conv2 and decoder.head)");
  WanVaeConfig c;
  c.zDim = static_cast<int>((*post)[0]);
  // Wan 2.2's: pixels in patches (conv_out gives 3 · patch² channels), a decoder of its own
  // width, and shortcuts around the stages (the upsample is the stage's "upsampler").
  const int64_t pixels = (*out)[0];
  c.patchSize = static_cast<int>(std::lround(std::sqrt(static_cast<double>(pixels) / 3)));
  if (c.patchSize < 1 || c.pixelChannels() != pixels)
    throw InputError("the VAE's decoder.conv_out gives " + std::to_string(pixels) +
                     " channels: not 3 · a square patch");
  c.residual = shapes.count("decoder.up_blocks.0.upsampler.resample.1.weight") > 0;
  const auto* encoderIn = shape("encoder.conv_in.weight");
  c.baseDim = static_cast<int>((*out)[1]);
  if (encoderIn && encoderIn->size() == 5 && (*encoderIn)[0] != c.baseDim) {
    c.decoderBaseDim = c.baseDim;
    c.baseDim = static_cast<int>((*encoderIn)[0]);
  }
  const std::regex block(R"(^decoder\.up_blocks\.(\d+)\.resnets\.(\d+)\.)");
  int blocks = 0, resnets = 0;
  for (const auto& [key, s] : shapes) {
    std::smatch m;
    if (std::regex_search(key, m, block)) {
      blocks = std::max(blocks, std::stoi(m[1]) + 1);
      if (std::stoi(m[1]) == 0) resnets = std::max(resnets, std::stoi(m[2]) + 1);
    }
  }
  if (blocks < 1 || resnets < 1) throw InputError("the VAE's decoder has no up blocks");
  c.numResBlocks = resnets - 1;
  std::vector<int> reversed;
  std::vector<bool> temporalUp;
  for (int i = 0; i < blocks; ++i) {
    const auto* w = shape("decoder.up_blocks." + std::to_string(i) + ".resnets.0.conv1.weight");
    if (!w || w->empty())
      throw InputError("the VAE's up block " + std::to_string(i) + " is incomplete");
    reversed.push_back(static_cast<int>((*w)[0] / c.decoderDim()));
    if (i + 1 < blocks)
      temporalUp.push_back(shapes.count(c.upsampler(i) + ".time_conv.weight") > 0);
  }
  c.dimMult.assign(reversed.rbegin(), reversed.rend());
  c.temporalDownsample.assign(temporalUp.rbegin(), temporalUp.rend());
  if (c.zDim == 16 || c.zDim == 48) {
    const WanVaeConfig wan = c.zDim == 16 ? wanVae21Config() : wanVae22Config();
    c.latentsMean = wan.latentsMean;
    c.latentsStd = wan.latentsStd;
  } else {
    c.latentsMean.assign(c.zDim, 0.0);
    c.latentsStd.assign(c.zDim, 1.0);
  }
  return c;
}

}  // namespace svgen
