#include "core/model/hunyuan/hunyuan_vae.h"

#include "core/attention/attention_backend.h"
#include "core/common/error.h"
#include "core/common/tensor_shape_text.h"
#include "core/model/required_weight.h"
#include "core/model/tile_blend.h"

#include <ATen/ATen.h>

#include <algorithm>
#include <cmath>
#include <string>

namespace svgen {

namespace {

constexpr double kEps = 1e-6;
// diffusers' framewise decode: windows of tile_sample_min_num_frames / 4 latent frames (+1) every
// tile_sample_stride_num_frames / 4, blended over their difference in output frames.
constexpr int kWindowLatentFrames = 4, kStrideLatentFrames = 3;
constexpr int kStrideFrames = 12, kBlendFrames = 4;

int log2Exact(int v, const char* what) {
  int n = 0;
  while ((1 << n) < v) ++n;
  if ((1 << n) != v)
    throw InputError(std::string("HunyuanVideo VAE: ") + what + " " + std::to_string(v) +
                     " is not a power of two");
  return n;
}

}  // namespace

HunyuanVaeConfig hunyuanVaeConfigFromJson(const nlohmann::json& j) {
  HunyuanVaeConfig c;
  if (!j.is_object()) throw InputError("HunyuanVideo VAE config.json is not a JSON object");
  auto intField = [&](const char* key, int& out) {
    if (!j.contains(key)) return;
    if (!j[key].is_number_integer())
      throw InputError(std::string("HunyuanVideo VAE config.json: \"") + key +
                       "\" is not an integer");
    out = j[key].get<int>();
  };
  intField("latent_channels", c.latentChannels);
  intField("layers_per_block", c.layersPerBlock);
  intField("norm_num_groups", c.groups);
  intField("spatial_compression_ratio", c.spatialRatio);
  intField("temporal_compression_ratio", c.temporalRatio);
  if (j.contains("block_out_channels")) {
    const auto& b = j["block_out_channels"];
    if (!b.is_array() || b.empty())
      throw InputError("HunyuanVideo VAE config.json: \"block_out_channels\" is not a list");
    c.blockOut.clear();
    for (const auto& v : b) {
      if (!v.is_number_integer() || v.get<int>() <= 0)
        throw InputError("HunyuanVideo VAE config.json: \"block_out_channels\" holds " + v.dump());
      c.blockOut.push_back(v.get<int>());
    }
  }
  if (j.contains("scaling_factor")) {
    if (!j["scaling_factor"].is_number())
      throw InputError("HunyuanVideo VAE config.json: \"scaling_factor\" is not a number");
    c.scalingFactor = j["scaling_factor"].get<double>();
  }
  if (j.contains("mid_block_add_attention") && j["mid_block_add_attention"].is_boolean())
    c.midAttention = j["mid_block_add_attention"].get<bool>();
  if (c.temporalRatio != 4)
    throw InputError("HunyuanVideo VAE: temporal_compression_ratio " +
                     std::to_string(c.temporalRatio) + " (the decoder is built for 4)");
  if (log2Exact(c.spatialRatio, "spatial_compression_ratio") > static_cast<int>(c.blockOut.size()))
    throw InputError("HunyuanVideo VAE: spatial_compression_ratio " +
                     std::to_string(c.spatialRatio) + " needs more blocks");
  return c;
}

HunyuanVaeDecoder::HunyuanVaeDecoder(HunyuanVaeConfig config, const TensorMap& weights,
                                     const at::Device& device, at::ScalarType dtype)
    : config_(std::move(config)), device_(device), dtype_(dtype) {
  const int n = static_cast<int>(config_.blockOut.size());
  const int spatialUps = log2Exact(config_.spatialRatio, "spatial_compression_ratio");
  const int timeUps = log2Exact(config_.temporalRatio, "temporal_compression_ratio");
  if (config_.groups <= 0) throw InputError("HunyuanVideo VAE: norm_num_groups must be positive");
  // As diffusers builds it: space doubles in the first blocks, time in the ones before the last.
  for (int i = 0; i < n; ++i) {
    UpBlock b;
    b.resnets = config_.layersPerBlock + 1;
    b.space = i < spatialUps ? 2 : 1;
    b.time = (i >= n - 1 - timeUps && i < n - 1) ? 2 : 1;
    b.upsample = b.space > 1 || b.time > 1;
    up_.push_back(b);
  }
  // Every weight by name and shape, as the config says.
  std::vector<std::pair<std::string, std::vector<int64_t>>> shapes;
  auto conv = [&](const std::string& name, int64_t in, int64_t out, int64_t k) {
    shapes.push_back({name + ".conv.weight", {out, in, k, k, k}});
    shapes.push_back({name + ".conv.bias", {out}});
  };
  auto affine = [&](const std::string& name, int64_t channels) {
    shapes.push_back({name + ".weight", {channels}});
    shapes.push_back({name + ".bias", {channels}});
  };
  auto resnetShapes = [&](const std::string& name, int64_t in, int64_t out) {
    affine(name + ".norm1", in);
    conv(name + ".conv1", in, out, 3);
    affine(name + ".norm2", out);
    conv(name + ".conv2", out, out, 3);
    if (in != out) conv(name + ".conv_shortcut", in, out, 1);
  };
  const int64_t z = config_.latentChannels, top = config_.blockOut.back();
  shapes.push_back({"post_quant_conv.weight", {z, z, 1, 1, 1}});
  shapes.push_back({"post_quant_conv.bias", {z}});
  conv("decoder.conv_in", z, top, 3);
  resnetShapes("decoder.mid_block.resnets.0", top, top);
  resnetShapes("decoder.mid_block.resnets.1", top, top);
  if (config_.midAttention) {
    const std::string a = "decoder.mid_block.attentions.0.";
    affine(a + "group_norm", top);
    for (const char* proj : {"to_q", "to_k", "to_v", "to_out.0"}) {
      shapes.push_back({a + proj + ".weight", {top, top}});
      shapes.push_back({a + proj + ".bias", {top}});
    }
  }
  int64_t channels = top;
  for (int i = 0; i < n; ++i) {
    const int64_t out = config_.blockOut[n - 1 - i];
    const std::string b = "decoder.up_blocks." + std::to_string(i) + ".";
    for (int r = 0; r < up_[i].resnets; ++r)
      resnetShapes(b + "resnets." + std::to_string(r), r == 0 ? channels : out, out);
    if (up_[i].upsample) conv(b + "upsamplers.0.conv", out, out, 3);
    channels = out;
  }
  affine("decoder.conv_norm_out", config_.blockOut.front());
  conv("decoder.conv_out", config_.blockOut.front(), 3, 3);
  TensorMap named;
  for (const auto& [key, t] : weights)
    named[fromRootName(key, {"decoder.", "post_quant_conv."})] = t;
  for (const auto& [name, shape] : shapes)
    params_[name] = requireWeight(named, name, shape).to(device_, dtype_).contiguous();
}

at::Tensor HunyuanVaeDecoder::p(const std::string& name) const {
  const auto it = params_.find(name);
  if (it == params_.end()) throw std::logic_error("HunyuanVaeDecoder: no parameter " + name);
  return it->second;
}

at::Tensor HunyuanVaeDecoder::causalConv(const at::Tensor& x, const std::string& name) const {
  const at::Tensor w = p(name + ".conv.weight");
  const int64_t kt = w.size(2), kh = w.size(3), kw = w.size(4);
  // Replicated edges: half a kernel on each side in space, the whole kernel before in time.
  at::Tensor padded = x;
  if (kt > 1 || kh > 1 || kw > 1)
    padded = at::replication_pad3d(x, {kw / 2, kw / 2, kh / 2, kh / 2, kt - 1, 0});
  return at::conv3d(padded, w, p(name + ".conv.bias"));
}

at::Tensor HunyuanVaeDecoder::norm(const at::Tensor& x, const std::string& name) const {
  return at::group_norm(x, config_.groups, p(name + ".weight"), p(name + ".bias"), kEps);
}

at::Tensor HunyuanVaeDecoder::resnet(const at::Tensor& x, const std::string& name) const {
  at::Tensor h = causalConv(at::silu(norm(x, name + ".norm1")), name + ".conv1");
  h = causalConv(at::silu(norm(h, name + ".norm2")), name + ".conv2");
  return h +
         (has(name + ".conv_shortcut.conv.weight") ? causalConv(x, name + ".conv_shortcut") : x);
}

at::Tensor HunyuanVaeDecoder::attention(const at::Tensor& x, const std::string& name) const {
  const int64_t B = x.size(0), C = x.size(1), F = x.size(2), H = x.size(3), W = x.size(4);
  const int64_t hw = H * W;
  // One head as wide as the channels over every pixel of the window; a frame sees itself and
  // the frames before it.
  const at::Tensor tokens = x.permute({0, 2, 3, 4, 1}).reshape({B, F * hw, C});
  const at::Tensor n =
      at::group_norm(tokens.transpose(1, 2), config_.groups, p(name + ".group_norm.weight"),
                     p(name + ".group_norm.bias"), kEps)
          .transpose(1, 2);
  auto proj = [&](const char* which, const at::Tensor& in) {
    return at::linear(in, p(name + which + ".weight"), p(name + which + ".bias"));
  };
  const at::Tensor q = proj(".to_q", n).view({B, F * hw, 1, C});
  const at::Tensor k = proj(".to_k", n).view({B, F * hw, 1, C});
  const at::Tensor v = proj(".to_v", n).view({B, F * hw, 1, C});
  at::Tensor out = at::empty_like(q);
  for (int64_t f = 0; f < F; ++f)
    out.narrow(1, f * hw, hw)
        .copy_(denseAttention(q.narrow(1, f * hw, hw), k.narrow(1, 0, (f + 1) * hw),
                              v.narrow(1, 0, (f + 1) * hw)));
  const at::Tensor y = proj(".to_out.0", out.view({B, F * hw, C})) + tokens;
  return y.view({B, F, H, W, C}).permute({0, 4, 1, 2, 3}).contiguous();
}

at::Tensor HunyuanVaeDecoder::decodeWindow(const at::Tensor& zIn) const {
  at::Tensor x =
      at::conv3d(zIn.to(device_, dtype_), p("post_quant_conv.weight"), p("post_quant_conv.bias"));
  x = causalConv(x, "decoder.conv_in");
  x = resnet(x, "decoder.mid_block.resnets.0");
  if (config_.midAttention) x = attention(x, "decoder.mid_block.attentions.0");
  x = resnet(x, "decoder.mid_block.resnets.1");
  for (size_t i = 0; i < up_.size(); ++i) {
    const std::string b = "decoder.up_blocks." + std::to_string(i) + ".";
    for (int r = 0; r < up_[i].resnets; ++r) x = resnet(x, b + "resnets." + std::to_string(r));
    if (!up_[i].upsample) continue;
    // Nearest-neighbour: the first frame in space only (it stays one frame), the rest in time too.
    const int s = up_[i].space, t = up_[i].time;
    auto spatial = [&](const at::Tensor& v) {
      return s > 1 ? v.repeat_interleave(s, 3).repeat_interleave(s, 4) : v;
    };
    at::Tensor first = spatial(x.narrow(2, 0, 1));
    if (x.size(2) > 1) {
      at::Tensor rest = spatial(x.narrow(2, 1, x.size(2) - 1));
      if (t > 1) rest = rest.repeat_interleave(t, 2);
      first = at::cat({first, rest}, 2);
    }
    x = causalConv(first, b + "upsamplers.0.conv");
  }
  x = causalConv(at::silu(norm(x, "decoder.conv_norm_out")), "decoder.conv_out");
  return x.to(at::kFloat);
}

void HunyuanVaeDecoder::setSpatialTiling(bool on, int tilePixels, int stridePixels) {
  const int scale = config_.spatialRatio;
  if (on && (tilePixels % scale || stridePixels % scale || stridePixels <= 0 ||
             stridePixels > tilePixels))
    throw InputError("HunyuanVideo VAE tiling: tiles of " + std::to_string(tilePixels) +
                     " pixels every " + std::to_string(stridePixels) + " must be multiples of " +
                     std::to_string(scale) + " with the stride no larger than the tile");
  tiling_ = on;
  tilePixels_ = tilePixels;
  stridePixels_ = stridePixels;
}

at::Tensor HunyuanVaeDecoder::decodeTiled(const at::Tensor& z) const {
  const int scale = config_.spatialRatio;
  const int64_t tile = tilePixels_ / scale, stride = stridePixels_ / scale;
  const int64_t h = z.size(3), w = z.size(4);
  if (!tiling_ || (h <= tile && w <= tile)) return decodeWindow(z);
  const int64_t blend = tilePixels_ - stridePixels_;
  // Every tile decoded, then cross-faded in reading order (stitchTiles, as diffusers does).
  std::vector<std::vector<at::Tensor>> rows;
  for (int64_t i = 0; i < h; i += stride) {
    std::vector<at::Tensor> row;
    for (int64_t j = 0; j < w; j += stride)
      row.push_back(decodeWindow(
          z.narrow(3, i, std::min(tile, h - i)).narrow(4, j, std::min(tile, w - j)).contiguous()));
    rows.push_back(std::move(row));
  }
  return stitchTiles(rows, stridePixels_, blend)
      .narrow(3, 0, h * scale)
      .narrow(4, 0, w * scale)
      .contiguous();
}

at::Tensor HunyuanVaeDecoder::decode(const at::Tensor& z,
                                     const std::function<void()>& between) const {
  if (z.dim() != 5 || z.size(1) != config_.latentChannels || z.size(2) < 1)
    throw InputError("HunyuanVideo VAE: latent must be (B, " +
                     std::to_string(config_.latentChannels) + ", F, h, w), got " +
                     shapeText(z.sizes().vec()));
  const int64_t F = z.size(2);
  if (F <= kWindowLatentFrames) return decodeTiled(z);
  const int64_t frames = (F - 1) * config_.temporalRatio + 1;
  std::vector<at::Tensor> tiles;
  for (int64_t i = 0; i < F; i += kStrideLatentFrames) {
    if (i > 0 && between) between();
    at::Tensor tile =
        decodeTiled(z.narrow(2, i, std::min<int64_t>(kWindowLatentFrames + 1, F - i)));
    // A window after the first starts on a frame the last one made: its own first frame goes.
    if (i > 0) tile = tile.narrow(2, 1, tile.size(2) - 1).contiguous();
    tiles.push_back(tile);
  }
  std::vector<at::Tensor> kept;
  for (size_t i = 0; i < tiles.size(); ++i) {
    at::Tensor tile = tiles[i];
    // Linear cross-fade over the overlap: the last window's end into this one's start.
    if (i > 0) blendInto(tiles[i - 1], tile, 2, kBlendFrames);
    const int64_t keep = i == 0 ? kStrideFrames + 1 : kStrideFrames;
    kept.push_back(tile.narrow(2, 0, std::min(keep, tile.size(2))));
  }
  at::Tensor video = at::cat(kept, 2);
  return video.narrow(2, 0, std::min(frames, video.size(2)));
}

}  // namespace svgen
