#include "core/model/wan/wan_vae_blocks.h"

#include "core/common/error.h"
#include "core/common/tensor_shape_text.h"

#include <ATen/ATen.h>

#include <algorithm>
#include <cmath>

namespace svgen::wanvae {

void addConv3d(std::vector<Expected>& e, const std::string& name, int64_t out, int64_t in, int kt,
               int k) {
  e.push_back({name + ".weight", {out, in, kt, k, k}});
  e.push_back({name + ".bias", {out}});
}

void addResidual(std::vector<Expected>& e, const std::string& name, int64_t in, int64_t out) {
  e.push_back({name + ".norm1.gamma", {in, 1, 1, 1}});
  addConv3d(e, name + ".conv1", out, in, 3, 3);
  e.push_back({name + ".norm2.gamma", {out, 1, 1, 1}});
  addConv3d(e, name + ".conv2", out, out, 3, 3);
  if (in != out) addConv3d(e, name + ".conv_shortcut", out, in, 1, 1);
}

void addAttention(std::vector<Expected>& e, const std::string& name, int64_t dim) {
  e.push_back({name + ".norm.gamma", {dim, 1, 1}});
  e.push_back({name + ".to_qkv.weight", {3 * dim, dim, 1, 1}});
  e.push_back({name + ".to_qkv.bias", {3 * dim}});
  e.push_back({name + ".proj.weight", {dim, dim, 1, 1}});
  e.push_back({name + ".proj.bias", {dim}});
}

void checkConfig(const WanVaeConfig& c) {
  if (c.dimMult.empty() || c.temporalDownsample.size() + 1 != c.dimMult.size())
    throw InputError("vae: temperal_downsample needs one entry fewer than dim_mult");
  if (static_cast<int>(c.latentsMean.size()) != c.zDim ||
      static_cast<int>(c.latentsStd.size()) != c.zDim)
    throw InputError("vae: the latent mean and std need one entry per latent channel");
}

LatentStatistics latentStatistics(const WanVaeConfig& c, const at::Device& device) {
  // Built in double and rounded once, as Python's float lists are.
  auto column = [&](const std::vector<double>& values) {
    return at::tensor(values, at::kDouble).to(device, at::kFloat).view({1, -1, 1, 1, 1});
  };
  return {column(c.latentsMean), column(c.latentsStd)};
}

TensorMap takeExpected(const TensorMap& named, const std::vector<Expected>& expected,
                       const at::Device& device, at::ScalarType dtype) {
  TensorMap params;
  for (const Expected& e : expected) {
    auto it = named.find(e.name);
    if (it == named.end()) throw InputError("vae: missing the tensor \"" + e.name + "\"");
    if (it->second.sizes().vec() != e.shape) {
      throw InputError("vae: tensor \"" + e.name + "\" has shape " +
                       shapeText(it->second.sizes().vec()) + ", expected " + shapeText(e.shape));
    }
    const bool norm = e.name.find("gamma") != std::string::npos;
    params[e.name] = it->second.to(device, norm ? at::kFloat : dtype).contiguous();
  }
  return params;
}

at::Tensor channelRmsNorm(const at::Tensor& x, const at::Tensor& gamma) {
  at::Tensor xf = x.to(at::kFloat);
  at::Tensor norm = xf.pow(2).sum(1, true).sqrt().clamp_min(1e-12);
  std::vector<int64_t> shape(static_cast<size_t>(x.dim()), 1);
  shape[1] = x.size(1);
  return (xf / norm * std::sqrt(static_cast<double>(x.size(1))) * gamma.view(shape))
      .to(x.scalar_type());
}

at::Tensor perFrame(const at::Tensor& x, const std::function<at::Tensor(const at::Tensor&)>& f) {
  const int64_t B = x.size(0), T = x.size(2);
  at::Tensor frames = x.permute({0, 2, 1, 3, 4}).reshape({B * T, x.size(1), x.size(3), x.size(4)});
  at::Tensor y = f(frames);
  return y.view({B, T, y.size(1), y.size(2), y.size(3)}).permute({0, 2, 1, 3, 4});
}

at::Tensor causalConv(const TensorMap& p, const at::Tensor& x, const std::string& name,
                      Cache& cache) {
  const at::Tensor& w = p.at(name + ".weight");
  const int64_t past = w.size(2) - 1;  // frames before the current one the kernel reaches
  const int64_t ph = w.size(3) / 2, pw = w.size(4) / 2;
  at::Tensor input = x;
  if (past > 0) {
    at::Tensor& history = cache[name];
    input = history.defined() ? at::cat({history, x}, 2) : x;
    const int64_t missing = past - (history.defined() ? history.size(2) : 0);
    history =
        input.narrow(2, std::max<int64_t>(0, input.size(2) - past), std::min(past, input.size(2)))
            .clone();
    if (missing > 0) input = at::constant_pad_nd(input, {0, 0, 0, 0, missing, 0});
  }
  return at::conv3d(input, w, p.at(name + ".bias"), 1, {0, ph, pw});
}

at::Tensor residual(const TensorMap& p, const at::Tensor& x, const std::string& name,
                    Cache& cache) {
  const at::Tensor shortcut = p.count(name + ".conv_shortcut.weight")
                                  ? causalConv(p, x, name + ".conv_shortcut", cache)
                                  : x;
  at::Tensor h = at::silu(channelRmsNorm(x, p.at(name + ".norm1.gamma")));
  h = causalConv(p, h, name + ".conv1", cache);
  h = at::silu(channelRmsNorm(h, p.at(name + ".norm2.gamma")));
  return causalConv(p, h, name + ".conv2", cache) + shortcut;
}

at::Tensor attention(const TensorMap& p, const at::Tensor& x, const std::string& name) {
  return perFrame(x,
                  [&](const at::Tensor& f) {
                    const int64_t N = f.size(0), C = f.size(1), H = f.size(2), W = f.size(3);
                    at::Tensor h = channelRmsNorm(f, p.at(name + ".norm.gamma"));
                    at::Tensor qkv =
                        at::conv2d(h, p.at(name + ".to_qkv.weight"), p.at(name + ".to_qkv.bias"))
                            .view({N, 3 * C, H * W})
                            .transpose(1, 2);  // (N, HW, 3C)
                    auto parts = qkv.chunk(3, -1);
                    at::Tensor scores =
                        at::matmul(parts[0], parts[1].transpose(1, 2)).to(at::kFloat) /
                        std::sqrt(static_cast<double>(C));
                    at::Tensor a =
                        at::matmul(at::softmax(scores, -1).to(parts[2].scalar_type()), parts[2]);
                    a = a.transpose(1, 2).reshape({N, C, H, W});
                    return at::conv2d(a, p.at(name + ".proj.weight"), p.at(name + ".proj.bias"));
                  }) +
         x;
}

}  // namespace svgen::wanvae

namespace svgen::wanvae {

at::Tensor averageDown(const at::Tensor& xIn, int64_t outChannels, int64_t factorT,
                       int64_t factorS) {
  const int64_t padT = (factorT - xIn.size(2) % factorT) % factorT;
  const at::Tensor x = padT ? at::constant_pad_nd(xIn, {0, 0, 0, 0, padT, 0}) : xIn;
  const int64_t B = x.size(0), C = x.size(1), T = x.size(2) / factorT, H = x.size(3) / factorS,
                W = x.size(4) / factorS;
  const int64_t factor = factorT * factorS * factorS;
  return x.reshape({B, C, T, factorT, H, factorS, W, factorS})
      .permute({0, 1, 3, 5, 7, 2, 4, 6})
      .reshape({B, outChannels, C * factor / outChannels, T, H, W})
      .mean(2);
}

at::Tensor duplicateUp(const at::Tensor& x, int64_t outChannels, int64_t factorT, int64_t factorS,
                       bool firstChunk) {
  const int64_t B = x.size(0), C = x.size(1), T = x.size(2), H = x.size(3), W = x.size(4);
  const int64_t repeats = outChannels * factorT * factorS * factorS / C;
  at::Tensor y = x.repeat_interleave(repeats, 1)
                     .reshape({B, outChannels, factorT, factorS, factorS, T, H, W})
                     .permute({0, 1, 5, 2, 6, 3, 7, 4})
                     .reshape({B, outChannels, T * factorT, H * factorS, W * factorS});
  return firstChunk ? y.narrow(2, factorT - 1, y.size(2) - (factorT - 1)) : y;
}

at::Tensor patchify(const at::Tensor& x, int64_t p) {
  if (p == 1) return x;
  const int64_t B = x.size(0), C = x.size(1), T = x.size(2), H = x.size(3) / p, W = x.size(4) / p;
  return x.reshape({B, C, T, H, p, W, p})
      .permute({0, 1, 6, 4, 2, 3, 5})
      .reshape({B, C * p * p, T, H, W});
}

at::Tensor unpatchify(const at::Tensor& x, int64_t p) {
  if (p == 1) return x;
  const int64_t B = x.size(0), C = x.size(1) / (p * p), T = x.size(2), H = x.size(3), W = x.size(4);
  return x.reshape({B, C, p, p, T, H, W})
      .permute({0, 1, 4, 5, 3, 6, 2})
      .reshape({B, C, T, H * p, W * p});
}

}  // namespace svgen::wanvae
