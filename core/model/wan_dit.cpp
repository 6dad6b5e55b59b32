#include "core/model/wan_dit.h"

#include "core/common/error.h"
#include "core/common/tensor_shape_text.h"
#include "core/model/required_weight.h"
#include "core/model/residual_ops.h"
#include "core/model/rope.h"
#include "kernels/cuda/cuda_runtime_info.h"
#include "kernels/cuda/modulation.h"

#include <ATen/ATen.h>
#include <c10/core/GradMode.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <memory>
#include <tuple>
#include <vector>

namespace svgen {

namespace {

at::Tensor linear(const at::Tensor& x, const at::Tensor& w, const at::Tensor& b) {
  return at::linear(x, w, b);
}

}  // namespace

WeightShapes wanParameterShapes(const WanConfig& c) {
  WeightShapes s;
  const int64_t d = c.dim;
  s.push_back({"patch_embedding.weight", {d, c.inChannels, c.patch[0], c.patch[1], c.patch[2]}});
  s.push_back({"patch_embedding.bias", {d}});
  addLinearShapes(s, "text_embedding.0", c.textDim, d);
  addLinearShapes(s, "text_embedding.2", d, d);
  addLinearShapes(s, "time_embedding.0", c.freqDim, d);
  addLinearShapes(s, "time_embedding.2", d, d);
  addLinearShapes(s, "time_projection.1", d, 6 * d);
  if (c.imageDim > 0) {
    // LayerNorm, linear, GELU, linear, LayerNorm.
    s.push_back({"img_emb.proj.0.weight", {c.imageDim}});
    s.push_back({"img_emb.proj.0.bias", {c.imageDim}});
    addLinearShapes(s, "img_emb.proj.1", c.imageDim, c.imageDim);
    addLinearShapes(s, "img_emb.proj.3", c.imageDim, d);
    s.push_back({"img_emb.proj.4.weight", {d}});
    s.push_back({"img_emb.proj.4.bias", {d}});
  }
  for (int i = 0; i < c.numLayers; ++i) {
    const std::string b = "blocks." + std::to_string(i) + ".";
    for (const char* attn : {"self_attn.", "cross_attn."}) {
      for (const char* proj : {"q", "k", "v", "o"}) addLinearShapes(s, b + attn + proj, d, d);
      s.push_back({b + attn + "norm_q.weight", {d}});
      s.push_back({b + attn + "norm_k.weight", {d}});
    }
    if (c.imageDim > 0) {
      addLinearShapes(s, b + "cross_attn.k_img", d, d);
      addLinearShapes(s, b + "cross_attn.v_img", d, d);
      s.push_back({b + "cross_attn.norm_k_img.weight", {d}});
    }
    s.push_back({b + "norm3.weight", {d}});
    s.push_back({b + "norm3.bias", {d}});
    addLinearShapes(s, b + "ffn.0", d, c.ffnDim);
    addLinearShapes(s, b + "ffn.2", c.ffnDim, d);
    s.push_back({b + "modulation", {1, 6, d}});
  }
  addLinearShapes(s, "head.head", d, static_cast<int64_t>(c.outChannels) * c.patchVolume());
  s.push_back({"head.modulation", {1, 2, d}});
  return s;
}

bool wanParameterIsFp32(const std::string& name) {
  auto has = [&](const char* part) { return name.find(part) != std::string::npos; };
  return has("time_embedding") || has("time_projection") || has("modulation") || has("norm") ||
         has("img_emb.proj.0.") || has("img_emb.proj.4.");
}

WanDiT::WanDiT(WanConfig config, const TensorMap& weights, const at::Device& device,
               at::ScalarType computeDtype)
    : WanDiT(std::move(config), weights, PackedMap{}, device, computeDtype) {}

WanDiT::WanDiT(WanConfig config, const TensorMap& weights, const PackedMap& packed,
               const at::Device& device, at::ScalarType computeDtype)
    : config_(std::move(config)), device_(device), dtype_(computeDtype) {
  validateConfig(config_);
  for (const auto& [name, shape] : wanParameterShapes(config_)) {
    const at::ScalarType want = wanParameterIsFp32(name) ? at::kFloat : dtype_;
    auto it = packed.find(name);
    if (it == packed.end()) {
      params_[name] = requireWeight(weights, name, shape).to(device_, want);
      continue;
    }
    if (weights.count(name))
      throw InputError("checkpoint key \"" + name + "\" is stored twice (packed and unpacked)");
    if (it->second.shape != shape)
      throw InputError("checkpoint key \"" + name + "\": expected shape " + shapeText(shape) +
                       ", found " + shapeText(it->second.shape));
    // Only the linear layers' matrices are worth keeping packed: the rest is small or float32.
    if (shape.size() == 2 && want == dtype_)
      packed_.emplace(name, it->second.to(device_));
    else
      params_[name] = it->second.unpack(want).to(device_);
  }
}

at::Tensor WanDiT::p(const std::string& name) const {
  if (auto it = params_.find(name); it != params_.end()) return it->second;
  return packed_.at(name).unpack(dtype_);
}

int blockIndexOf(const std::string& name) {
  if (name.rfind("blocks.", 0) != 0) return -1;
  return std::stoi(name.substr(7, name.find('.', 7) - 7));
}

at::Tensor WanDiT::p(const std::string& name, const BlockWeights* block) const {
  if (block) {
    if (auto it = block->dense.find(name); it != block->dense.end()) return it->second;
    if (auto it = block->packed.find(name); it != block->packed.end())
      return it->second.unpack(dtype_);
  }
  return p(name);
}

int WanDiT::streamedBlockOf(const std::string& name) const {
  return hostBlocks_.empty() ? -1 : blockIndexOf(name);
}

TensorMap WanDiT::weightsNamed(const std::vector<std::string>& names) const {
  TensorMap out;
  for (const std::string& name : names) {
    const int b = streamedBlockOf(name);
    out[name] =
        p(name, b < 0 ? nullptr : &hostBlocks_[static_cast<size_t>(b)]).to(at::kCPU, at::kFloat);
  }
  return out;
}

void WanDiT::replaceWeights(const TensorMap& weights) {
  for (const auto& [name, t] : weights) {
    const at::ScalarType want = wanParameterIsFp32(name) ? at::kFloat : dtype_;
    if (const int index = streamedBlockOf(name); index >= 0) {
      BlockWeights& b = hostBlocks_[static_cast<size_t>(index)];
      b.packed.erase(name);
      at::Tensor host = t.to(at::kCPU, want).contiguous();
      b.dense[name] = device_.is_cuda() ? host.pin_memory() : host;
      continue;
    }
    if (!params_.count(name) && !packed_.count(name))
      throw InputError("no weight \"" + name + "\" to replace");
    packed_.erase(name);
    params_[name] = t.to(device_, want);
  }
}

void WanDiT::place(const at::Device& device, bool streamBlocks) {
  // Streamed blocks come back first, so every weight starts from one map.
  for (BlockWeights& b : hostBlocks_) {
    params_.insert(b.dense.begin(), b.dense.end());
    packed_.insert(b.packed.begin(), b.packed.end());
  }
  hostBlocks_.clear();
  device_ = device;
  const bool pin = streamBlocks && device.is_cuda();
  if (streamBlocks) hostBlocks_.resize(static_cast<size_t>(config_.numLayers));
  // Each weight of `map` goes to the device, or with streamed blocks a block's to host memory.
  auto sortOut = [&](auto& map, auto BlockWeights::*hostMap, auto toHost) {
    for (auto it = map.begin(); it != map.end();) {
      const int b = streamBlocks ? blockIndexOf(it->first) : -1;
      if (b < 0) {
        it->second = it->second.to(device);
        ++it;
        continue;
      }
      (hostBlocks_[static_cast<size_t>(b)].*hostMap).emplace(it->first, toHost(it->second));
      it = map.erase(it);
    }
  };
  sortOut(params_, &BlockWeights::dense, [&](const at::Tensor& t) {
    at::Tensor host = t.to(at::kCPU);
    return pin ? host.pin_memory() : host;
  });
  sortOut(packed_, &BlockWeights::packed, [&](const PackedTensor& t) { return t.toHost(pin); });
}

at::Tensor WanDiT::embedImage(const at::Tensor& image, int64_t batch) const {
  const int64_t width = config_.imageDim;
  if (width <= 0) {
    if (image.defined())
      throw InputError("this text-to-video model takes no image (it has no image embedding)");
    return {};
  }
  if (!image.defined())
    throw InputError("this image-to-video model needs the image encoder's tokens");
  if (image.dim() != 3 || image.size(2) != width || (image.size(0) != 1 && image.size(0) != batch))
    throw InputError("image tokens must be (1 or " + std::to_string(batch) + ", L, " +
                     std::to_string(width) + "), got " + shapeText(image.sizes().vec()));
  // LayerNorms in float32 (diffusers' FP32LayerNorm, eps 1e-5), the MLP in the compute dtype.
  const int64_t d = config_.dim;
  at::Tensor x = at::layer_norm(image.to(device_, at::kFloat), {width}, p("img_emb.proj.0.weight"),
                                p("img_emb.proj.0.bias"), 1e-5)
                     .to(dtype_);
  x = linear(at::gelu(linear(x, p("img_emb.proj.1.weight"), p("img_emb.proj.1.bias"))),
             p("img_emb.proj.3.weight"), p("img_emb.proj.3.bias"));
  x = at::layer_norm(x.to(at::kFloat), {d}, p("img_emb.proj.4.weight"), p("img_emb.proj.4.bias"),
                     1e-5)
          .to(dtype_);
  return x.expand({batch, x.size(1), d});
}

at::Tensor timestepEmbedding(const at::Tensor& timesteps, int64_t dim) {
  const int64_t half = dim / 2;
  auto opts = at::TensorOptions().dtype(at::kDouble).device(timesteps.device());
  at::Tensor freqs = at::pow(10000.0, -at::arange(half, opts) / static_cast<double>(half));
  at::Tensor args = at::outer(timesteps.to(at::kDouble), freqs);
  return at::cat({at::cos(args), at::sin(args)}, 1).to(at::kFloat);
}

at::Tensor WanDiT::forward(const at::Tensor& xIn, const at::Tensor& timesteps,
                           const at::Tensor& contextIn, const at::Tensor& imageIn,
                           const DiTForwardOptions& options) const {
  const WanConfig& c = config_;
  const int64_t d = c.dim, heads = c.numHeads, hd = c.headDim();
  if (xIn.dim() != 5 || xIn.size(1) != c.inChannels) {
    throw InputError("DiT input must be (B, " + std::to_string(c.inChannels) + ", F, H, W), got " +
                     shapeText(xIn.sizes().vec()));
  }
  for (int a = 0; a < 3; ++a) {
    if (xIn.size(2 + a) % c.patch[a] != 0) {
      throw InputError("DiT input size " + shapeText(xIn.sizes().vec()) +
                       " is not a multiple of the patch size along axis " + std::to_string(a));
    }
  }
  const int64_t B = xIn.size(0);
  DenseAttention dense;
  AttentionBackend* attention = options.attention ? options.attention : &dense;

  // Patchify: a strided Conv3d, tokens in (frame, height, width) order.
  at::Tensor xe = at::conv3d(xIn.to(device_, dtype_), p("patch_embedding.weight"),
                             p("patch_embedding.bias"), {c.patch[0], c.patch[1], c.patch[2]});
  const int64_t f = xe.size(2), h = xe.size(3), w = xe.size(4);
  const int64_t L = f * h * w;
  // The residual stream, float32 and contiguous (the fused kernels update it in place).
  at::Tensor x = xe.flatten(2).transpose(1, 2).to(at::kFloat).contiguous();
  if (c.positionEmbedding == "sincos") x = x + sincosPositionEmbedding(f, h, w, d, device_);
  const ResidualOps ops(x, dtype_, c.eps);

  // Time: sinusoid → MLP → six modulation vectors, all float32.
  auto embedTime = [&](const at::Tensor& t) {
    at::Tensor e = linear(timestepEmbedding(t.to(device_), c.freqDim), p("time_embedding.0.weight"),
                          p("time_embedding.0.bias"));
    e = linear(at::silu(e), p("time_embedding.2.weight"), p("time_embedding.2.bias"));
    at::Tensor e0 = linear(at::silu(e), p("time_projection.1.weight"), p("time_projection.1.bias"))
                        .view({B, 6, d});
    return std::make_pair(e, e0);
  };
  at::Tensor e, e0;
  std::tie(e, e0) = embedTime(timesteps);
  // Clean tokens (TI2V's start image) are modulated as at timestep 0.
  const int64_t clean = options.cleanPrefixTokens;
  if (clean < 0 || clean >= L)
    throw InputError("DiT: " + std::to_string(clean) + " clean tokens of " + std::to_string(L));
  at::Tensor eClean, e0Clean;
  if (clean > 0) std::tie(eClean, e0Clean) = embedTime(at::zeros_like(timesteps));

  // Text: zero-pad to textLen rows first; the padded rows pass the MLP too (as in Wan).
  at::Tensor context = contextIn.to(device_, dtype_);
  if (context.size(1) < c.textLen) {
    context = at::cat(
        {context, at::zeros({B, c.textLen - context.size(1), c.textDim}, context.options())}, 1);
  }
  context = linear(
      at::gelu(linear(context, p("text_embedding.0.weight"), p("text_embedding.0.bias")), "tanh"),
      p("text_embedding.2.weight"), p("text_embedding.2.bias"));
  const int64_t Lt = context.size(1);
  const at::Tensor image = embedImage(imageIn, B);

  const RopeTables rope = makeRopeTables(f, h, w, hd, device_);
  AttentionCall call;
  call.step = options.step;
  call.numSteps = options.numSteps;
  call.numLayers = c.numLayers;
  call.grid = {f, h, w};

  // With streamed blocks each layer's weights arrive one layer ahead (block_streamer.h).
  std::unique_ptr<BlockStreamer> streamer;
  if (!hostBlocks_.empty()) streamer = std::make_unique<BlockStreamer>(hostBlocks_, device_);
  for (int i = 0; i < c.numLayers; ++i) {
    if (options.beforeLayer) options.beforeLayer(i);
    const BlockWeights* block = streamer ? &streamer->acquire(i) : nullptr;
    const std::string b = "blocks." + std::to_string(i) + ".";
    at::Tensor mod = p(b + "modulation", block) + e0;  // (B, 6, d)
    auto m = [&](int k) { return mod.narrow(1, k, 1); };
    at::Tensor modClean = clean > 0 ? p(b + "modulation", block) + e0Clean : at::Tensor();
    auto mc = [&](int k) { return clean > 0 ? modClean.narrow(1, k, 1) : at::Tensor(); };
    auto norm = [&](int scale, int shift) {
      return clean > 0 ? ops.norm(x, 1 + m(scale), m(shift), 1 + mc(scale), mc(shift), clean)
                       : ops.norm(x, 1 + m(scale), m(shift));
    };

    // Self-attention with adaptive LayerNorm.
    at::Tensor y = norm(1, 0);
    at::Tensor q =
        rmsNormRope(linear(y, p(b + "self_attn.q.weight", block), p(b + "self_attn.q.bias", block)),
                    p(b + "self_attn.norm_q.weight", block), c.eps, rope, heads);
    at::Tensor k =
        rmsNormRope(linear(y, p(b + "self_attn.k.weight", block), p(b + "self_attn.k.bias", block)),
                    p(b + "self_attn.norm_k.weight", block), c.eps, rope, heads);
    at::Tensor v = linear(y, p(b + "self_attn.v.weight", block), p(b + "self_attn.v.bias", block));
    v = v.view({B, L, heads, hd});
    call.layer = i;
    at::Tensor a = attention->selfAttention(q, k, v, call).reshape({B, L, d});
    ops.addGated(x, linear(a, p(b + "self_attn.o.weight", block), p(b + "self_attn.o.bias", block)),
                 m(2), mc(2), clean);

    // Cross-attention to the text, affine LayerNorm, no modulation.
    y = ops.norm(x, p(b + "norm3.weight", block), p(b + "norm3.bias", block));
    q = rmsNorm(linear(y, p(b + "cross_attn.q.weight", block), p(b + "cross_attn.q.bias", block)),
                p(b + "cross_attn.norm_q.weight", block), c.eps);
    k = rmsNorm(
        linear(context, p(b + "cross_attn.k.weight", block), p(b + "cross_attn.k.bias", block)),
        p(b + "cross_attn.norm_k.weight", block), c.eps);
    v = linear(context, p(b + "cross_attn.v.weight", block), p(b + "cross_attn.v.bias", block));
    a = denseAttention(q.view({B, L, heads, hd}), k.view({B, Lt, heads, hd}),
                       v.view({B, Lt, heads, hd}))
            .reshape({B, L, d});
    if (image.defined()) {
      // The image tokens through keys and values of their own; the two results add up.
      const int64_t Li = image.size(1);
      k = rmsNorm(linear(image, p(b + "cross_attn.k_img.weight", block),
                         p(b + "cross_attn.k_img.bias", block)),
                  p(b + "cross_attn.norm_k_img.weight", block), c.eps);
      v = linear(image, p(b + "cross_attn.v_img.weight", block),
                 p(b + "cross_attn.v_img.bias", block));
      a = a + denseAttention(q.view({B, L, heads, hd}), k.view({B, Li, heads, hd}),
                             v.view({B, Li, heads, hd}))
                  .reshape({B, L, d});
    }
    ops.addGated(x,
                 linear(a, p(b + "cross_attn.o.weight", block), p(b + "cross_attn.o.bias", block)),
                 at::Tensor());

    // Feed-forward with adaptive LayerNorm.
    y = norm(4, 3);
    {
      // Unpacked once per layer, not per chunk.
      const at::Tensor w0 = p(b + "ffn.0.weight", block), b0 = p(b + "ffn.0.bias", block);
      const at::Tensor w2 = p(b + "ffn.2.weight", block), b2 = p(b + "ffn.2.bias", block);
      auto ffn = [&](const at::Tensor& in) {
        return linear(at::gelu(linear(in, w0, b0), "tanh"), w2, b2);
      };
      const int64_t chunk = options.ffnChunkTokens;
      if (chunk <= 0 || chunk >= L) {
        y = ffn(y);
      } else {
        at::Tensor out = at::empty_like(y);
        for (int64_t s = 0; s < L; s += chunk) {
          const int64_t n = std::min(chunk, L - s);
          out.narrow(1, s, n).copy_(ffn(y.narrow(1, s, n)));
        }
        y = out;
      }
    }
    ops.addGated(x, y, m(5), mc(5), clean);
  }

  // Head: modulated LayerNorm, projection to patch pixels, unpatchify.
  at::Tensor hm = p("head.modulation") + e.unsqueeze(1);  // (B, 2, d)
  at::Tensor y;
  if (clean > 0) {
    const at::Tensor hc = p("head.modulation") + eClean.unsqueeze(1);
    y = ops.norm(x, 1 + hm.narrow(1, 1, 1), hm.narrow(1, 0, 1), 1 + hc.narrow(1, 1, 1),
                 hc.narrow(1, 0, 1), clean);
  } else {
    y = ops.norm(x, 1 + hm.narrow(1, 1, 1), hm.narrow(1, 0, 1));
  }
  y = linear(y, p("head.head.weight"), p("head.head.bias")).to(at::kFloat);
  const int64_t pt = c.patch[0], ph = c.patch[1], pw = c.patch[2], C = c.outChannels;
  // Each token's output is laid out (pt, ph, pw, C): channel last.
  y = y.view({B, f, h, w, pt, ph, pw, C}).permute({0, 7, 1, 4, 2, 5, 3, 6});
  return y.reshape({B, C, f * pt, h * ph, w * pw});
}

}  // namespace svgen
