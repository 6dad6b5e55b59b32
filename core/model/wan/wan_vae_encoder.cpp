#include "core/model/wan/wan_vae_encoder.h"

#include "core/common/error.h"
#include "core/common/tensor_shape_text.h"
#include "core/model/wan/wan_vae_blocks.h"

#include <ATen/ATen.h>

namespace svgen {

using namespace wanvae;

namespace {

// One layer of the encoder: a residual block or a downsample. Wan 2.1 lists them flat
// (down_blocks.N); Wan 2.2 groups each stage's (down_blocks.S.resnets.J, down_blocks.S.downsampler)
// and adds the stage's input, averaged down, to its output (`stageEnd` marks its last layer).
struct DownLayer {
  std::string name;
  bool resample = false;
  bool temporal = false;
  int stage = 0;
  bool stageEnd = false;
};

std::vector<DownLayer> downLayers(const WanVaeConfig& c) {
  std::vector<DownLayer> layers;
  const int stages = static_cast<int>(c.dimMult.size());
  for (int i = 0; i < stages; ++i) {
    const std::string stage = "encoder.down_blocks." + std::to_string(i);
    for (int j = 0; j < c.numResBlocks; ++j) {
      layers.push_back({c.residual ? stage + ".resnets." + std::to_string(j)
                                   : "encoder.down_blocks." + std::to_string(layers.size()),
                        false, false, i});
    }
    if (i + 1 < stages)
      layers.push_back({c.residual ? stage + ".downsampler"
                                   : "encoder.down_blocks." + std::to_string(layers.size()),
                        true, c.temporalDownsample[i], i});
    layers.back().stageEnd = true;
  }
  return layers;
}

// Every tensor the encoder reads, with its shape (diffusers' construction).
std::vector<Expected> expectedTensors(const WanVaeConfig& c) {
  std::vector<Expected> e;
  std::vector<int64_t> dims = {c.baseDim};
  for (int m : c.dimMult) dims.push_back(static_cast<int64_t>(c.baseDim) * m);
  addConv3d(e, "encoder.conv_in", dims[0], c.pixelChannels(), 3, 3);
  const std::vector<DownLayer> layers = downLayers(c);
  size_t next = 0;
  for (size_t i = 0; i + 1 < dims.size(); ++i) {
    int64_t in = dims[i];
    const int64_t out = dims[i + 1];
    for (int j = 0; j < c.numResBlocks; ++j, ++next) {
      addResidual(e, layers[next].name, in, out);
      in = out;
    }
    if (i + 2 < dims.size()) {
      const std::string& name = layers[next++].name;
      e.push_back({name + ".resample.1.weight", {out, out, 3, 3}});
      e.push_back({name + ".resample.1.bias", {out}});
      if (c.temporalDownsample[i]) addConv3d(e, name + ".time_conv", out, out, 3, 1);
    }
  }
  const int64_t top = dims.back(), z2 = 2 * static_cast<int64_t>(c.zDim);
  addResidual(e, "encoder.mid_block.resnets.0", top, top);
  addAttention(e, "encoder.mid_block.attentions.0", top);
  addResidual(e, "encoder.mid_block.resnets.1", top, top);
  e.push_back({"encoder.norm_out.gamma", {top, 1, 1, 1}});
  addConv3d(e, "encoder.conv_out", z2, top, 3, 3);
  addConv3d(e, "quant_conv", z2, z2, 1, 1);
  return e;
}

}  // namespace

WanVaeEncoder::WanVaeEncoder(WanVaeConfig config, const TensorMap& weights,
                             const at::Device& device, at::ScalarType dtype)
    : config_(std::move(config)), device_(device), dtype_(dtype) {
  checkConfig(config_);
  params_ = takeExpected(wanVaeKeysToDiffusers(weights), expectedTensors(config_), device_, dtype_);
}

at::Tensor WanVaeEncoder::downsample(const at::Tensor& xIn, const std::string& name, bool temporal,
                                     Cache& cache) const {
  // Zero padding on the right and bottom only, then a stride-2 convolution.
  at::Tensor x = perFrame(xIn, [&](const at::Tensor& f) {
    return at::conv2d(at::constant_pad_nd(f, {0, 1, 0, 1}), params_.at(name + ".resample.1.weight"),
                      params_.at(name + ".resample.1.bias"), 2);
  });
  if (!temporal) return x;
  // Time halves from the second chunk on: each chunk's frames with the last one before them,
  // kernel 3, stride 2. The first chunk (one frame) passes and only starts the history.
  at::Tensor& history = cache[name + ".time_conv"];
  if (!history.defined()) {
    history = x.narrow(2, x.size(2) - 1, 1).clone();
    return x;
  }
  at::Tensor input = at::cat({history, x}, 2);
  history = x.narrow(2, x.size(2) - 1, 1).clone();
  return at::conv3d(input, params_.at(name + ".time_conv.weight"),
                    params_.at(name + ".time_conv.bias"), {2, 1, 1});
}

at::Tensor WanVaeEncoder::encodeChunk(const at::Tensor& frames, Cache& cache) const {
  at::Tensor x = causalConv(params_, frames, "encoder.conv_in", cache);
  const std::vector<DownLayer> layers = downLayers(config_);
  const int stages = static_cast<int>(config_.dimMult.size());
  at::Tensor stageInput = x;
  for (const DownLayer& layer : layers) {
    x = layer.resample ? downsample(x, layer.name, layer.temporal, cache)
                       : residual(params_, x, layer.name, cache);
    if (config_.residual && layer.stageEnd) {
      // The last stage keeps its size; the others halve space, and time where they say so.
      const bool last = layer.stage + 1 == stages;
      const bool temporal = !last && config_.temporalDownsample[layer.stage];
      x = x + averageDown(stageInput, x.size(1), temporal ? 2 : 1, last ? 1 : 2);
      stageInput = x;
    }
  }
  x = residual(params_, x, "encoder.mid_block.resnets.0", cache);
  x = attention(params_, x, "encoder.mid_block.attentions.0");
  x = residual(params_, x, "encoder.mid_block.resnets.1", cache);
  x = at::silu(channelRmsNorm(x, params_.at("encoder.norm_out.gamma")));
  return causalConv(params_, x, "encoder.conv_out", cache);
}

at::Tensor WanVaeEncoder::encode(const at::Tensor& frames, const ChunkCallback& onChunk) const {
  const int64_t T = frames.dim() == 5 ? frames.size(2) : 0;
  const int64_t scale = config_.spatialScale();
  if (frames.dim() != 5 || frames.size(1) != 3 || (T - 1) % 4 != 0 || frames.size(3) % scale != 0 ||
      frames.size(4) % scale != 0) {
    throw InputError(
        "vae: the frames to encode must be (B, 3, 1 + 4k, H, W) with H and W "
        "multiples of " +
        std::to_string(scale) + ", got " + shapeText(frames.sizes().vec()));
  }
  const at::Tensor patches = patchify(frames, config_.patchSize);
  const int total = static_cast<int>(1 + (T - 1) / 4);
  Cache cache;
  std::vector<at::Tensor> chunks;
  for (int i = 0; i < total; ++i) {
    const int64_t start = i == 0 ? 0 : 1 + 4 * (i - 1), length = i == 0 ? 1 : 4;
    chunks.push_back(
        encodeChunk(patches.narrow(2, start, length).to(device_, dtype_), cache).to(at::kFloat));
    if (onChunk) onChunk(i + 1, total);
  }
  Cache none;
  const at::Tensor moments =
      causalConv(params_, at::cat(chunks, 2).to(dtype_), "quant_conv", none).to(at::kFloat);
  const LatentStatistics s = latentStatistics(config_, device_);
  // The posterior's mean: the first z channels (the rest are its log-variance).
  return (moments.narrow(1, 0, config_.zDim) - s.mean) / s.std;
}

}  // namespace svgen
