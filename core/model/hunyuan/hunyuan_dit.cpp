#include "core/model/hunyuan/hunyuan_dit.h"

#include "core/common/error.h"
#include "core/common/tensor_shape_text.h"
#include "core/model/required_weight.h"
#include "core/model/residual_ops.h"
#include "core/model/rope.h"

#include <ATen/ATen.h>

#include <cmath>
#include <string>

namespace svgen {

namespace {

// The 256-wide sinusoid of a timestep or guidance scale, cos half first, computed in float32 as the
// HunyuanVideo repository and diffusers do (Wan's own code uses float64: timestepEmbedding): at
// guidance 6000 the two differ in the fourth digit.
at::Tensor sinusoid(const at::Tensor& t) {
  const int64_t half = 128;
  const auto opts = at::TensorOptions().dtype(at::kFloat).device(t.device());
  const at::Tensor freqs = at::exp(at::arange(half, opts) * (-std::log(10000.0) / half));
  const at::Tensor args = t.to(at::kFloat).unsqueeze(1) * freqs.unsqueeze(0);
  return at::cat({at::cos(args), at::sin(args)}, 1);
}

}  // namespace

TensorMap randomHunyuanWeights(const HunyuanConfig& config, uint64_t seed, const at::Device& device,
                               at::ScalarType dtype) {
  at::manual_seed(seed);
  const auto opts = at::TensorOptions().device(device).dtype(dtype);
  TensorMap w;
  for (const auto& [name, shape] : hunyuanParameterShapes(config)) {
    if (shape.size() == 1) {
      const bool scale = name.find("norm") != std::string::npos &&
                         name.compare(name.size() - 7, 7, ".weight") == 0;
      w[name] = scale ? at::ones(shape, opts) : at::zeros(shape, opts);
      continue;
    }
    int64_t fanIn = 1;
    for (size_t i = 1; i < shape.size(); ++i) fanIn *= shape[i];
    w[name] = at::randn(shape, opts).mul_(1.0 / std::sqrt(static_cast<double>(fanIn)));
  }
  return w;
}

HunyuanDiT::HunyuanDiT(HunyuanConfig config, const TensorMap& weights, const at::Device& device,
                       at::ScalarType computeDtype)
    : config_(std::move(config)), device_(device), dtype_(computeDtype) {
  validateConfig(config_);
  for (const auto& [name, shape] : hunyuanParameterShapes(config_))
    params_[name] = requireWeight(weights, name, shape).to(device_, dtype_).contiguous();
}

at::Tensor HunyuanDiT::p(const std::string& name) const {
  const auto it = params_.find(name);
  if (it == params_.end()) throw std::logic_error("HunyuanDiT: no parameter " + name);
  return it->second;
}

at::Tensor HunyuanDiT::refineText(const at::Tensor& text, const at::Tensor& timesteps) const {
  const HunyuanConfig& c = config_;
  const int64_t B = text.size(0), Lt = text.size(1), d = c.dim(), heads = c.refinerHeads;
  auto lin = [&](const at::Tensor& x, const std::string& name) {
    return at::linear(x, p(name + ".weight"), p(name + ".bias"));
  };
  // Conditioning of the refiner: its own timestep MLP and the mean of the text states.
  const at::Tensor t = sinusoid(timesteps.to(device_)).to(dtype_);
  const at::Tensor pooled = text.mean(1);
  const at::Tensor cond =
      lin(at::silu(lin(t, "txt_in.t_embedder.mlp.0")), "txt_in.t_embedder.mlp.2") +
      lin(at::silu(lin(pooled, "txt_in.c_embedder.linear_1")), "txt_in.c_embedder.linear_2");
  at::Tensor x = lin(text, "txt_in.input_embedder").to(at::kFloat).contiguous();
  const ResidualOps ops(x, dtype_, c.eps);
  auto affine = [&](const std::string& norm) {
    return ops.norm(x, p(norm + ".weight").to(at::kFloat).view({1, d}),
                    p(norm + ".bias").to(at::kFloat).view({1, d}));
  };
  for (int i = 0; i < c.refinerLayers; ++i) {
    const std::string b = "txt_in.individual_token_refiner.blocks." + std::to_string(i) + ".";
    const at::Tensor gates = lin(at::silu(cond), b + "adaLN_modulation.1").to(at::kFloat);
    const at::Tensor gateAttn = gates.narrow(1, 0, d).unsqueeze(1).contiguous();
    const at::Tensor gateMlp = gates.narrow(1, d, d).unsqueeze(1).contiguous();
    const at::Tensor qkv =
        lin(affine(b + "norm1"), b + "self_attn_qkv").view({B, Lt, 3, heads, d / heads});
    const at::Tensor a = denseAttention(qkv.select(2, 0), qkv.select(2, 1), qkv.select(2, 2));
    ops.addGated(x, lin(a.reshape({B, Lt, d}), b + "self_attn_proj"), gateAttn);
    ops.addGated(x, lin(at::silu(lin(affine(b + "norm2"), b + "mlp.fc1")), b + "mlp.fc2"), gateMlp);
  }
  return x;
}

at::Tensor HunyuanDiT::forward(const at::Tensor& xIn, const at::Tensor& timesteps,
                               const at::Tensor& textIn, const at::Tensor& pooledIn,
                               const at::Tensor& guidance,
                               const HunyuanForwardOptions& options) const {
  const HunyuanConfig& c = config_;
  const int64_t d = c.dim(), heads = c.numHeads, hd = c.headDim;
  if (xIn.dim() != 5 || xIn.size(1) != c.inChannels)
    throw InputError("HunyuanVideo input must be (B, " + std::to_string(c.inChannels) +
                     ", F, H, W), got " + shapeText(xIn.sizes().vec()));
  if (xIn.size(2) % c.patchT || xIn.size(3) % c.patch || xIn.size(4) % c.patch)
    throw InputError("HunyuanVideo input " + shapeText(xIn.sizes().vec()) +
                     " is not a whole number of patches");
  const int64_t B = xIn.size(0);
  if (textIn.dim() != 3 || textIn.size(0) != B || textIn.size(2) != c.textDim || textIn.size(1) < 1)
    throw InputError("HunyuanVideo text states must be (" + std::to_string(B) + ", L ≥ 1, " +
                     std::to_string(c.textDim) + "), got " + shapeText(textIn.sizes().vec()));
  if (pooledIn.dim() != 2 || pooledIn.size(0) != B || pooledIn.size(1) != c.pooledDim)
    throw InputError("HunyuanVideo pooled text must be (" + std::to_string(B) + ", " +
                     std::to_string(c.pooledDim) + "), got " + shapeText(pooledIn.sizes().vec()));
  if (c.guidanceEmbeds != guidance.defined())
    throw InputError(c.guidanceEmbeds
                         ? "HunyuanVideo: this model embeds the guidance scale: give one"
                         : "HunyuanVideo: this model takes no guidance scale");
  auto lin = [&](const at::Tensor& x, const std::string& name) {
    return at::linear(x, p(name + ".weight"), p(name + ".bias"));
  };

  // Patchify: a strided Conv3d, tokens in (frame, height, width) order. The residual stream is
  // float32.
  const at::Tensor xe = at::conv3d(xIn.to(device_, dtype_), p("img_in.proj.weight"),
                                   p("img_in.proj.bias"), {c.patchT, c.patch, c.patch});
  const int64_t f = xe.size(2), h = xe.size(3), w = xe.size(4);
  const int64_t L = f * h * w;
  at::Tensor x = xe.flatten(2).transpose(1, 2).to(at::kFloat).contiguous();
  const ResidualOps ops(x, dtype_, c.eps);
  // The modulated LayerNorm every block starts with: LN(y)·(1 + scale) + shift.
  auto modulate = [&](const at::Tensor& y, const at::Tensor& shift, const at::Tensor& scale) {
    return ops.norm(y, 1 + scale.unsqueeze(1), shift.unsqueeze(1));
  };

  // One conditioning vector: timestep, guidance scale and CLIP's pooled text, each through its
  // MLP; every block's modulation reads it through SiLU.
  const at::Tensor t = timesteps.to(device_).reshape({B});
  at::Tensor vec = lin(at::silu(lin(sinusoid(t).to(dtype_), "time_in.mlp.0")), "time_in.mlp.2");
  vec = vec + lin(at::silu(lin(pooledIn.to(device_, dtype_), "vector_in.in_layer")),
                  "vector_in.out_layer");
  if (c.guidanceEmbeds) {
    const at::Tensor g = sinusoid(guidance.to(device_).reshape({B})).to(dtype_);
    vec = vec + lin(at::silu(lin(g, "guidance_in.mlp.0")), "guidance_in.mlp.2");
  }
  const at::Tensor silu = at::silu(vec);
  // The modulation vectors of `name` (B, parts·d) as float32 (B, d) pieces.
  auto mods = [&](const std::string& name, int parts) {
    const at::Tensor m = lin(silu, name).to(at::kFloat);
    std::vector<at::Tensor> out;
    for (int k = 0; k < parts; ++k) out.push_back(m.narrow(1, k * d, d).contiguous());
    return out;
  };

  at::Tensor txt = refineText(textIn.to(device_, dtype_), t);
  const int64_t Lt = txt.size(1);

  const RopeTables rope = makeRopeTables(
      f, h, w, {c.ropeAxes[0] / 2, c.ropeAxes[1] / 2, c.ropeAxes[2] / 2}, device_, c.ropeTheta);
  // Joint attention: the video tokens first, then the text; sparse methods keep the text dense.
  DenseAttention dense;
  AttentionBackend* attention = options.attention ? options.attention : &dense;
  AttentionCall call;
  call.step = options.step;
  call.numSteps = options.numSteps;
  call.numLayers = layers();
  call.grid = {f, h, w};
  // q or k of one stream: RMSNorm per head, RoPE on the video's.
  auto qkNorm = [&](const at::Tensor& y, const std::string& weight, bool video) {
    at::Tensor n = rmsNorm(y, p(weight), c.eps);
    return video ? applyRope(n, rope) : n;
  };
  auto ffn = [&](const at::Tensor& y, const std::string& name) {
    return lin(at::gelu(lin(y, name + ".fc1"), "tanh"), name + ".fc2");
  };

  for (int i = 0; i < c.dualLayers; ++i) {
    if (options.beforeLayer) options.beforeLayer(i);
    call.layer = i;
    const std::string b = "double_blocks." + std::to_string(i) + ".";
    const auto im = mods(b + "img_mod.linear", 6);  // shift, scale, gate; twice
    const auto tm = mods(b + "txt_mod.linear", 6);
    const at::Tensor qkvImg =
        lin(modulate(x, im[0], im[1]), b + "img_attn_qkv").view({B, L, 3, heads, hd});
    const at::Tensor qkvTxt =
        lin(modulate(txt, tm[0], tm[1]), b + "txt_attn_qkv").view({B, Lt, 3, heads, hd});
    const at::Tensor q = at::cat({qkNorm(qkvImg.select(2, 0), b + "img_attn_q_norm.weight", true),
                                  qkNorm(qkvTxt.select(2, 0), b + "txt_attn_q_norm.weight", false)},
                                 1);
    const at::Tensor k = at::cat({qkNorm(qkvImg.select(2, 1), b + "img_attn_k_norm.weight", true),
                                  qkNorm(qkvTxt.select(2, 1), b + "txt_attn_k_norm.weight", false)},
                                 1);
    const at::Tensor v = at::cat({qkvImg.select(2, 2), qkvTxt.select(2, 2)}, 1);
    const at::Tensor a = attention->jointAttention(q, k, v, Lt, call).reshape({B, L + Lt, d});
    ops.addGated(x, lin(a.narrow(1, 0, L), b + "img_attn_proj"), im[2].unsqueeze(1));
    ops.addGated(txt, lin(a.narrow(1, L, Lt), b + "txt_attn_proj"), tm[2].unsqueeze(1));
    ops.addGated(x, ffn(modulate(x, im[3], im[4]), b + "img_mlp"), im[5].unsqueeze(1));
    ops.addGated(txt, ffn(modulate(txt, tm[3], tm[4]), b + "txt_mlp"), tm[5].unsqueeze(1));
  }

  // Single-stream blocks: one sequence, video then text, one set of weights; each block's q, k,
  // v and MLP input come from one projection, and its output from one projection of both.
  at::Tensor joint = at::cat({x, txt}, 1);
  for (int i = 0; i < c.singleLayers; ++i) {
    if (options.beforeLayer) options.beforeLayer(c.dualLayers + i);
    call.layer = c.dualLayers + i;
    const std::string b = "single_blocks." + std::to_string(i) + ".";
    const auto m = mods(b + "modulation.linear", 3);  // shift, scale, gate
    const at::Tensor y = lin(modulate(joint, m[0], m[1]), b + "linear1");
    const at::Tensor qkv = y.narrow(2, 0, 3 * d).view({B, L + Lt, 3, heads, hd});
    auto normed = [&](int part, const std::string& weight) {
      const at::Tensor n = rmsNorm(qkv.select(2, part), p(weight), c.eps);
      return at::cat({applyRope(n.narrow(1, 0, L), rope), n.narrow(1, L, Lt)}, 1);
    };
    const at::Tensor a =
        attention
            ->jointAttention(normed(0, b + "q_norm.weight"), normed(1, b + "k_norm.weight"),
                             qkv.select(2, 2), Lt, call)
            .reshape({B, L + Lt, d});
    const at::Tensor mlp = at::gelu(y.narrow(2, 3 * d, c.mlpHidden), "tanh");
    ops.addGated(joint, lin(at::cat({a.to(dtype_), mlp}, 2), b + "linear2"), m[2].unsqueeze(1));
  }

  // Head: modulated LayerNorm (shift, scale), projection to patch pixels, unpatchify.
  const auto fm = mods("final_layer.adaLN_modulation.1", 2);
  at::Tensor out =
      lin(modulate(joint.narrow(1, 0, L).contiguous(), fm[0], fm[1]), "final_layer.linear")
          .to(at::kFloat);
  const int64_t C = c.outChannels, pt = c.patchT, ps = c.patch;
  // Each token's output is laid out (C, pt, p, p): channel first, unlike Wan.
  out = out.view({B, f, h, w, C, pt, ps, ps}).permute({0, 4, 1, 5, 2, 6, 3, 7});
  return out.reshape({B, C, f * pt, h * ps, w * ps});
}

}  // namespace svgen
