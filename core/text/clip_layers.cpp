#include "core/text/clip_layers.h"

#include <ATen/ATen.h>

#include <algorithm>
#include <cmath>
#include <regex>

namespace svgen {

std::vector<std::pair<std::string, std::vector<int64_t>>> clipLayerShapes(const ClipLayerShape& c,
                                                                          int index) {
  const int64_t d = c.hiddenSize, f = c.intermediateSize;
  const std::string l = "encoder.layers." + std::to_string(index) + ".";
  std::vector<std::pair<std::string, std::vector<int64_t>>> s;
  for (const char* proj : {"q_proj", "k_proj", "v_proj", "out_proj"}) {
    s.push_back({l + "self_attn." + proj + ".weight", {d, d}});
    s.push_back({l + "self_attn." + proj + ".bias", {d}});
  }
  for (const char* norm : {"layer_norm1", "layer_norm2"}) {
    s.push_back({l + norm + ".weight", {d}});
    s.push_back({l + norm + ".bias", {d}});
  }
  s.push_back({l + "mlp.fc1.weight", {f, d}});
  s.push_back({l + "mlp.fc1.bias", {f}});
  s.push_back({l + "mlp.fc2.weight", {d, f}});
  s.push_back({l + "mlp.fc2.bias", {d}});
  return s;
}

at::Tensor clipLayers(const at::Tensor& xIn, const TensorMap& p, const ClipLayerShape& c, int count,
                      at::ScalarType dtype, bool causal) {
  at::Tensor x = xIn;
  const int64_t B = x.size(0), L = x.size(1), d = c.hiddenSize, heads = c.numHeads, hd = d / heads;
  auto linear = [&](const at::Tensor& in, const std::string& name) {
    return at::linear(in, p.at(name + ".weight"), p.at(name + ".bias"));
  };
  at::Tensor mask;  // added to the scores: −inf above the diagonal
  if (causal)
    mask = at::full({L, L}, -std::numeric_limits<float>::infinity(),
                    at::TensorOptions().dtype(at::kFloat).device(x.device()))
               .triu(1);
  for (int i = 0; i < count; ++i) {
    const std::string l = "encoder.layers." + std::to_string(i) + ".";
    at::Tensor h =
        at::layer_norm(x, {d}, p.at(l + "layer_norm1.weight"), p.at(l + "layer_norm1.bias"), c.eps)
            .to(dtype);
    auto heads4 = [&](const at::Tensor& t) { return t.view({B, L, heads, hd}).transpose(1, 2); };
    const at::Tensor q = heads4(linear(h, l + "self_attn.q_proj"));
    const at::Tensor k = heads4(linear(h, l + "self_attn.k_proj"));
    const at::Tensor v = heads4(linear(h, l + "self_attn.v_proj"));
    at::Tensor scores =
        at::matmul(q, k.transpose(2, 3)).to(at::kFloat) / std::sqrt(static_cast<double>(hd));
    if (causal) scores = scores + mask;
    at::Tensor a = at::matmul(at::softmax(scores, -1).to(dtype), v);
    a = a.transpose(1, 2).reshape({B, L, d});
    x = x + linear(a, l + "self_attn.out_proj").to(at::kFloat);
    h = at::layer_norm(x, {d}, p.at(l + "layer_norm2.weight"), p.at(l + "layer_norm2.bias"), c.eps)
            .to(dtype);
    h = linear(h, l + "mlp.fc1");
    h = c.activation == "quick_gelu" ? h * at::sigmoid(1.702 * h) : at::gelu(h);
    x = x + linear(h, l + "mlp.fc2").to(at::kFloat);
  }
  return x;
}

TensorMap clipPartKeys(const TensorMap& weights, const std::string& root,
                       std::initializer_list<const char*> own) {
  TensorMap out;
  for (const auto& [key, t] : weights) {
    const size_t at = key.find(root);
    if (at != std::string::npos && (at == 0 || key[at - 1] == '.')) {
      out[key.substr(at + root.size())] = t;
      continue;
    }
    for (const char* prefix : own)
      if (key.rfind(prefix, 0) == 0) out[key] = t;
  }
  return out;
}

int clipLayerCount(const std::map<std::string, std::vector<int64_t>>& shapes) {
  const std::regex layer(R"(^encoder\.layers\.(\d+)\.)");
  int layers = 0;
  for (const auto& [key, s] : shapes) {
    std::smatch m;
    if (std::regex_search(key, m, layer)) layers = std::max(layers, std::stoi(m[1]) + 1);
  }
  return layers;
}

}  // namespace svgen
