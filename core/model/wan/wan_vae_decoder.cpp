#include "core/model/wan/wan_vae_decoder.h"

#include "core/common/error.h"
#include "core/common/tensor_shape_text.h"
#include "core/model/tile_blend.h"
#include "core/model/wan/wan_vae_blocks.h"

#include <ATen/ATen.h>

#include <cmath>

namespace svgen {

using namespace wanvae;

namespace {

// Every tensor the decoder reads, with its shape, from the config (diffusers' construction).
std::vector<Expected> expectedTensors(const WanVaeConfig& c) {
  std::vector<Expected> e;
  const int64_t z = c.zDim;
  addConv3d(e, "post_quant_conv", z, z, 1, 1);
  const int64_t base = c.decoderDim();
  std::vector<int64_t> dims = {base * c.dimMult.back()};
  for (auto it = c.dimMult.rbegin(); it != c.dimMult.rend(); ++it) dims.push_back(base * *it);
  addConv3d(e, "decoder.conv_in", dims[0], z, 3, 3);
  addResidual(e, "decoder.mid_block.resnets.0", dims[0], dims[0]);
  addAttention(e, "decoder.mid_block.attentions.0", dims[0]);
  addResidual(e, "decoder.mid_block.resnets.1", dims[0], dims[0]);
  const size_t stages = c.dimMult.size();
  for (size_t i = 0; i < stages; ++i) {
    const std::string block = "decoder.up_blocks." + std::to_string(i);
    // Wan 2.1's upsample halves the channels for the next stage; Wan 2.2's keeps them.
    int64_t in = i > 0 && !c.residual ? dims[i] / 2 : dims[i];
    const int64_t out = dims[i + 1], upOut = c.residual ? out : out / 2;
    for (int j = 0; j <= c.numResBlocks; ++j) {
      addResidual(e, block + ".resnets." + std::to_string(j), in, out);
      in = out;
    }
    if (i + 1 < stages) {
      const std::string up = c.upsampler(static_cast<int>(i));
      e.push_back({up + ".resample.1.weight", {upOut, out, 3, 3}});
      e.push_back({up + ".resample.1.bias", {upOut}});
      if (c.temporalDownsample[stages - 2 - i]) addConv3d(e, up + ".time_conv", 2 * out, out, 3, 1);
    }
  }
  e.push_back({"decoder.norm_out.gamma", {dims.back(), 1, 1, 1}});
  addConv3d(e, "decoder.conv_out", c.pixelChannels(), dims.back(), 3, 3);
  return e;
}

}  // namespace

WanVaeDecoder::WanVaeDecoder(WanVaeConfig config, const TensorMap& weights,
                             const at::Device& device, at::ScalarType dtype)
    : config_(std::move(config)), device_(device), dtype_(dtype) {
  checkConfig(config_);
  params_ = takeExpected(wanVaeKeysToDiffusers(weights), expectedTensors(config_), device_, dtype_);
}

const at::Tensor& WanVaeDecoder::p(const std::string& name) const {
  return params_.at(name);
}

at::Tensor WanVaeDecoder::upsample(const at::Tensor& xIn, const std::string& name, bool temporal,
                                   bool first, Cache& cache) const {
  at::Tensor x = xIn;
  if (temporal && !first) {
    // The first chunk's frame is not doubled and starts no history: the time convolution's
    // sequence begins with the second chunk.
    const int64_t B = x.size(0), C = x.size(1), T = x.size(2), H = x.size(3), W = x.size(4);
    x = causalConv(params_, x, name + ".time_conv",
                   cache);  // (B, 2C, T, H, W): two frames per frame
    x = x.view({B, 2, C, T, H, W}).permute({0, 2, 3, 1, 4, 5}).reshape({B, C, 2 * T, H, W});
  }
  return perFrame(x, [&](const at::Tensor& f) {
    at::Tensor up = f.repeat_interleave(2, 2).repeat_interleave(2, 3);  // nearest, 2x
    return at::conv2d(up, p(name + ".resample.1.weight"), p(name + ".resample.1.bias"), 1, 1);
  });
}

at::Tensor WanVaeDecoder::decodeChunk(const at::Tensor& z, bool first, Cache& cache) const {
  at::Tensor x = causalConv(params_, z, "decoder.conv_in", cache);
  x = residual(params_, x, "decoder.mid_block.resnets.0", cache);
  x = attention(params_, x, "decoder.mid_block.attentions.0");
  x = residual(params_, x, "decoder.mid_block.resnets.1", cache);
  const size_t stages = config_.dimMult.size();
  for (size_t i = 0; i < stages; ++i) {
    const std::string block = "decoder.up_blocks." + std::to_string(i);
    const at::Tensor stageInput = x;
    for (int j = 0; j <= config_.numResBlocks; ++j)
      x = residual(params_, x, block + ".resnets." + std::to_string(j), cache);
    if (i + 1 < stages) {
      const bool temporal = config_.temporalDownsample[stages - 2 - i];
      x = upsample(x, config_.upsampler(static_cast<int>(i)), temporal, first, cache);
      if (config_.residual) x = x + duplicateUp(stageInput, x.size(1), temporal ? 2 : 1, 2, first);
    }
  }
  x = at::silu(channelRmsNorm(x, p("decoder.norm_out.gamma")));
  return causalConv(params_, x, "decoder.conv_out", cache);
}

at::Tensor WanVaeDecoder::decode(const at::Tensor& latent, const ChunkCallback& onChunk,
                                 bool clamp) const {
  if (latent.dim() != 5 || latent.size(1) != config_.zDim) {
    throw InputError("vae: the latent must be (B, " + std::to_string(config_.zDim) +
                     ", T, h, w), got " + shapeText(latent.sizes().vec()));
  }
  const LatentStatistics s = latentStatistics(config_, device_);
  at::Tensor z = latent.to(device_, at::kFloat) * s.std + s.mean;
  Cache cache;
  z = causalConv(params_, z.to(dtype_), "post_quant_conv", cache);
  const int total = static_cast<int>(z.size(2));
  std::vector<at::Tensor> chunks;
  for (int t = 0; t < total; ++t) {
    chunks.push_back(decodeChunk(z.narrow(2, t, 1), t == 0, cache).to(at::kCPU, at::kFloat));
    if (onChunk) onChunk(t + 1, total);
  }
  at::Tensor out = unpatchify(at::cat(chunks, 2), config_.patchSize);
  return clamp ? out.clamp(-1, 1) : out;
}

at::Tensor WanVaeDecoder::decodeTiled(const at::Tensor& latent, const Tiles& tiles,
                                      const ChunkCallback& onChunk, bool clamp) const {
  if (tiles.tile < 1 || tiles.stride < 1 || tiles.stride > tiles.tile)
    throw InputError("vae tiles: tile " + std::to_string(tiles.tile) + " and stride " +
                     std::to_string(tiles.stride) + " (need 1 <= stride <= tile)");
  if (latent.dim() != 5) return decode(latent, onChunk, clamp);  // decode names the problem
  const int64_t h = latent.size(3), w = latent.size(4);
  if (h <= tiles.tile && w <= tiles.tile) return decode(latent, onChunk, clamp);
  const int64_t scale = config_.spatialScale();
  const int64_t strideOut = tiles.stride * scale;
  const int64_t blend = (tiles.tile - tiles.stride) * scale;
  std::vector<int64_t> rows, cols;
  for (int64_t i = 0; i < h; i += tiles.stride) rows.push_back(i);
  for (int64_t j = 0; j < w; j += tiles.stride) cols.push_back(j);
  const int frames = static_cast<int>(latent.size(2));
  const int total = frames * static_cast<int>(rows.size() * cols.size());
  int done = 0;
  std::vector<std::vector<at::Tensor>> decoded(rows.size());
  for (size_t r = 0; r < rows.size(); ++r) {
    for (size_t c = 0; c < cols.size(); ++c) {
      const at::Tensor part = latent.narrow(3, rows[r], std::min<int64_t>(tiles.tile, h - rows[r]))
                                  .narrow(4, cols[c], std::min<int64_t>(tiles.tile, w - cols[c]));
      decoded[r].push_back(decode(
          part,
          [&](int, int) {
            if (onChunk) onChunk(++done, total);
          },
          /*clamp=*/false));
    }
  }
  at::Tensor out = stitchTiles(decoded, strideOut, blend);
  return clamp ? out.clamp(-1, 1) : out;
}

}  // namespace svgen
