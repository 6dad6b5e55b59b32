// HunyuanVideo's joint attention through each sparse method on the device (the text keys join
// each method's plan as a dense key block, on the GPU through plans built there): at a full
// budget it is dense attention over everything; below it, a marker column in the values shows
// each row's share w of the mass on the video keys it kept, and the rest of the row must be
// w · (the method's own video-only output) + (1 − w) · (dense over the text).
#include "core/attention/attention_backend.h"
#include "core/attention/clustering/cluster_parameters.h"
#include "core/attention/method_registry.h"
#include "core/attention/svg/svg_method.h"
#include "core/attention/svg2/svg2_method.h"
#include "core/attention/svoo/svoo_attention.h"
#include "core/attention/warmup.h"
#include "core/model/hunyuan/hunyuan_dit.h"
#include "core/selftest/kernel_selftest.h"

#include <ATen/ATen.h>

#include <memory>
#include <string>

namespace svgen {

namespace {

std::unique_ptr<AttentionBackend> backendFor(const std::string& method, bool fullBudget) {
  AttentionConfig c;
  c.method = method;
  c.set(warmup::fraction, 0);
  if (fullBudget) {
    c.set(svg::density, 1.0);
    c.set(clustering::topP, 1.0);
    c.set(svg2::minKeyClusterRatio, 0);
  }
  if (method == "svoo") {
    SvooProfile p;
    p.keyFraction = {fullBudget ? 1.0 : 0.2};
    return std::make_unique<SvooAttention>(c, p);
  }
  return makeAttentionBackend(c);
}

// A small HunyuanVideo transformer on the device (bf16: the fused residual kernels, joint
// attention through SVG's plan with the text as its tail) against the same on the CPU in float32.
KernelCheck hunyuanDitCheck(const SelftestOptions& o) {
  KernelCheck c;
  c.kernel = "hunyuan_dit";
  c.input = "[2 dual + 2 single blocks of 2x128, 3x8x12 tokens + 40 text, SVG full budget]";
  // bf16 through five blocks of 256-wide random weights: 0.024 on the CPU's bf16 path, whose
  // ATen ops round more often than the fused kernels. A wrong joint plan moves it by 0.3 or more,
  // and SVG at a full budget must also agree with the device's own dense pass.
  c.tolerance = 5e-2;
  try {
    const HunyuanConfig config = HunyuanConfig::small();
    TensorMap w = randomHunyuanWeights(config, o.seed, at::kCPU, at::kFloat);
    for (auto& [name, t] : w) t = t + 0.05 * at::randn_like(t);  // no zero or unit tables
    const HunyuanDiT cpu(config, w, at::kCPU, at::kFloat);
    const HunyuanDiT gpu(config, w, o.device, at::kBFloat16);
    const at::Tensor x = at::randn({1, 16, 3, 16, 24});
    const at::Tensor t = at::full({1}, 700.0), g = at::full({1}, 6000.0);
    const at::Tensor text = at::randn({1, 40, config.textDim}),
                     pooled = at::randn({1, config.pooledDim});
    const at::Tensor want = cpu.forward(x, t, text, pooled, g);
    auto svg = backendFor("svg", true);
    HunyuanForwardOptions f;
    f.attention = svg.get();
    const at::Tensor got = gpu.forward(x, t, text, pooled, g, f).to(at::kCPU, at::kFloat);
    const at::Tensor dense = gpu.forward(x, t, text, pooled, g).to(at::kCPU, at::kFloat);
    const ErrorPair e = compareTensors(got, want);
    const ErrorPair same = compareTensors(got, dense);
    c.maxAbsError = e.maxAbs;
    c.relError = e.rel;
    c.passed = e.rel <= c.tolerance && same.rel <= 2e-2 && svg->stats().denseCalls == 0;
    c.note = "bf16 with SVG vs float32 dense on the CPU; vs its own dense pass " +
             std::to_string(same.rel) + "; " + std::to_string(svg->stats().calls) + " sparse calls";
  } catch (const std::exception& e) {
    c.note = std::string("threw: ") + e.what();
  }
  return c;
}

}  // namespace

std::vector<KernelCheck> selftestJointAttention(const SelftestOptions& o) {
  std::vector<KernelCheck> checks;
  const std::array<int64_t, 3> grid =
      o.quick ? std::array<int64_t, 3>{2, 8, 8} : std::array<int64_t, 3>{4, 16, 24};
  const int64_t L = grid[0] * grid[1] * grid[2], text = 77, heads = 2, d = 128;
  const at::ScalarType dtype = o.device.is_cuda() ? at::kBFloat16 : at::kFloat;
  const double tolerance = o.device.is_cuda() ? 2e-2 : 1e-4;
  at::manual_seed(o.seed);
  // Tokens of a frame share a component, so attention is far from uniform.
  auto tokens = [&] {
    const at::Tensor frame = at::randn({grid[0], 1, heads, d})
                                 .expand({grid[0], grid[1] * grid[2], heads, d})
                                 .reshape({1, L, heads, d});
    return at::cat({at::randn({1, L, heads, d}) + 1.5 * frame, at::randn({1, text, heads, d})}, 1)
        .mul(0.5);
  };
  at::Tensor q = tokens(), k = tokens(), v = tokens();
  q.select(3, d - 1).zero_();
  k.select(3, d - 1).zero_();
  v.select(3, d - 1).fill_(1);
  v.narrow(1, L, text).select(3, d - 1).zero_();
  const at::Tensor qd = q.to(o.device, dtype), kd = k.to(o.device, dtype),
                   vd = v.to(o.device, dtype);
  AttentionCall call;
  call.step = 5;
  call.numSteps = 10;
  call.grid = grid;
  const std::string input = "[" + std::to_string(L) + " video + " + std::to_string(text) +
                            " text tokens, " + std::to_string(heads) + "x" + std::to_string(d) +
                            (o.device.is_cuda() ? " bf16]" : " f32]");
  for (const std::string method : {"svg", "svg2", "svoo"}) {
    {
      KernelCheck c;
      c.kernel = "joint_attention_" + method;
      c.input = input + " full budget vs dense";
      c.tolerance = tolerance;
      try {
        const at::Tensor out = backendFor(method, true)->jointAttention(qd, kd, vd, text, call);
        const ErrorPair e = compareTensors(out.to(at::kCPU, at::kFloat), denseAttention(q, k, v));
        c.maxAbsError = e.maxAbs;
        c.relError = e.rel;
        c.passed = e.rel <= c.tolerance;
      } catch (const std::exception& e) {
        c.note = std::string("threw: ") + e.what();
      }
      checks.push_back(c);
    }
    KernelCheck c;
    c.kernel = "joint_attention_" + method;
    c.input = input + " default budget, text merged";
    c.tolerance = tolerance;
    try {
      const at::Tensor joint = backendFor(method, false)
                                   ->jointAttention(qd, kd, vd, text, call)
                                   .to(at::kCPU, at::kFloat);
      auto own = backendFor(method, false);
      const at::Tensor videoOut =
          own->selfAttention(qd.narrow(1, 0, L), kd.narrow(1, 0, L), vd.narrow(1, 0, L), call)
              .to(at::kCPU, at::kFloat);
      const at::Tensor overText =
          denseAttention(q.narrow(1, 0, L), k.narrow(1, L, text), v.narrow(1, L, text));
      const at::Tensor w = joint.narrow(1, 0, L).narrow(3, d - 1, 1);
      const at::Tensor expected = w * videoOut + (1 - w) * overText;
      const ErrorPair e =
          compareTensors(joint.narrow(1, 0, L).narrow(3, 0, d - 1), expected.narrow(3, 0, d - 1));
      const ErrorPair textRows =
          compareTensors(joint.narrow(1, L, text), denseAttention(q.narrow(1, L, text), k, v));
      c.maxAbsError = std::max(e.maxAbs, textRows.maxAbs);
      c.relError = std::max(e.rel, textRows.rel);
      const double density = own->stats().sparseDensity();
      const double minShare = w.min().item<double>();
      c.note = "video density " + std::to_string(density) + ", least video share " +
               std::to_string(minShare);
      c.passed = c.relError <= c.tolerance && density < 0.9 && minShare < 0.95;
    } catch (const std::exception& e) {
      c.note = std::string("threw: ") + e.what();
    }
    checks.push_back(c);
  }
  if (o.device.is_cuda()) checks.push_back(hunyuanDitCheck(o));
  return checks;
}

}  // namespace svgen
