// The fused residual-stream kernels (modulated LayerNorm, gated residual add) against the ATen
// ops the DiT runs without them; and a whole tiny DiT whose first tokens are clean (TI2V's start
// image: the kernels run on runs of rows with their own modulation) against the CPU's.
#include "core/model/wan_dit.h"
#include "core/model/weight_init.h"
#include "core/selftest/kernel_selftest.h"
#include "kernels/cuda/modulation.h"

#include <ATen/ATen.h>

#include <limits>
#include <string>

namespace svgen {

std::vector<KernelCheck> selftestModulation(const SelftestOptions& o) {
  if (!o.device.is_cuda()) return {};
  std::vector<KernelCheck> checks;
  at::manual_seed(o.seed);
  const auto f32 = at::TensorOptions().device(o.device).dtype(at::kFloat);
  struct Shape {
    int64_t batch, rows;
    int dim;
    double magnitude;
  };
  for (const Shape s : {Shape{2, 1000, 1536, 1.0}, Shape{1, 333, 5120, 1.0}, Shape{2, 77, 256, 1.0},
                        Shape{1, 64, 1536, 300.0}, Shape{1, 1, 4, 1.0}}) {
    const std::string shape = "[B=" + std::to_string(s.batch) + " L=" + std::to_string(s.rows) +
                              " d=" + std::to_string(s.dim) +
                              (s.magnitude != 1 ? " x" + std::to_string(int(s.magnitude)) : "") +
                              "]";
    // Residual rows with an offset, as the stream has; per-batch modulation rows, strided as the
    // model's (B, 6, d) table is.
    const at::Tensor x = (at::randn({s.batch, s.rows, s.dim}, f32) + 0.5) * s.magnitude;
    const at::Tensor table = at::randn({s.batch, 6, s.dim}, f32) * 0.3;
    const at::Tensor mul = 1 + table.narrow(1, 1, 1), add = table.narrow(1, 0, 1);
    {
      KernelCheck c;
      c.kernel = "modulated_layer_norm";
      c.input = shape;
      try {
        const at::Tensor m = mul.contiguous(), a = add.contiguous();
        at::Tensor y = at::full({s.batch, s.rows, s.dim}, std::numeric_limits<float>::quiet_NaN(),
                                f32.dtype(at::kBFloat16));
        kernels::modulatedLayerNormCuda(x.data_ptr<float>(), m.data_ptr<float>(),
                                        a.data_ptr<float>(), s.dim, y.data_ptr(), s.batch, s.rows,
                                        s.dim, 1e-6f);
        const at::Tensor ref =
            (at::layer_norm(x, {s.dim}, {}, {}, 1e-6) * mul + add).to(at::kBFloat16);
        const ErrorPair e = compareTensors(y, ref);
        c.maxAbsError = e.maxAbs;
        c.relError = e.rel;
        c.tolerance = 8e-3;  // both round the same float32 value to bf16; sums reassociate
        c.passed = e.rel <= c.tolerance;
      } catch (const std::exception& e) {
        c.note = std::string("threw: ") + e.what();
      }
      checks.push_back(c);
    }
    {
      KernelCheck c;
      c.kernel = "gated_residual";
      c.input = shape;
      try {
        const at::Tensor a = at::randn({s.batch, s.rows, s.dim}, f32).to(at::kBFloat16);
        const at::Tensor gate = table.narrow(1, 2, 1).contiguous();
        at::Tensor out = x.clone();
        kernels::gatedResidualCuda(out.data_ptr<float>(), a.data_ptr(), gate.data_ptr<float>(),
                                   s.dim, s.batch, s.rows, s.dim);
        at::Tensor plain = x.clone();
        kernels::gatedResidualCuda(plain.data_ptr<float>(), a.data_ptr(), nullptr, 0, s.batch,
                                   s.rows, s.dim);
        const ErrorPair e = compareTensors(out, x + a.to(at::kFloat) * gate);
        const ErrorPair e1 = compareTensors(plain, x + a.to(at::kFloat));
        c.maxAbsError = std::max(e.maxAbs, e1.maxAbs);
        c.relError = std::max(e.rel, e1.rel);
        c.tolerance = 1e-6;
        c.passed = c.relError <= c.tolerance;
        c.note = "with a gate and without";
      } catch (const std::exception& e) {
        c.note = std::string("threw: ") + e.what();
      }
      checks.push_back(c);
    }
  }
  {
    KernelCheck c;
    c.kernel = "dit_clean_prefix";
    c.input = "[tiny DiT, B=2, 3x4x6 tokens, first 24 clean]";
    try {
      WanConfig config;
      config.dim = 64;
      config.numHeads = 2;
      config.numLayers = 2;
      config.ffnDim = 128;
      config.textDim = 32;
      config.freqDim = 32;
      config.inChannels = config.outChannels = 4;
      TensorMap w = initWanWeights(config, o.seed, /*zeroHead=*/false);
      for (auto& [name, t] : w) t = t + 0.05 * at::randn_like(t);  // no zero or unit tables
      const WanDiT cpu(config, w, at::kCPU, at::kFloat);
      const WanDiT gpu(config, w, o.device, at::kBFloat16);
      const auto cpuF = at::TensorOptions().dtype(at::kFloat);
      const at::Tensor x = at::randn({2, 4, 3, 8, 12}, cpuF);
      const at::Tensor t = at::full({2}, 700.0, cpuF);
      const at::Tensor context = at::randn({2, 16, 32}, cpuF);
      DiTForwardOptions options;
      options.cleanPrefixTokens = 24;  // the first latent frame's 4 x 6 tokens
      const at::Tensor want = cpu.forward(x, t, context, {}, options);
      const at::Tensor got = gpu.forward(x, t, context, {}, options).to(at::kCPU, at::kFloat);
      const ErrorPair e = compareTensors(got, want);
      // The clean tokens must change the result, or the check shows nothing.
      const ErrorPair without = compareTensors(cpu.forward(x, t, context, {}, {}), want);
      c.maxAbsError = e.maxAbs;
      c.relError = e.rel;
      // bf16 through two layers (0.0045 on an H100), well under what the clean tokens change
      // (0.047): an error of that size would be the clean rows' modulation gone wrong.
      c.tolerance = 1.5e-2;
      c.passed = e.rel <= c.tolerance && without.rel > 5 * e.rel;
      c.note = "CUDA bf16 (fused, runs of rows) vs CPU float32; clean vs none on the CPU: " +
               std::to_string(without.rel);
    } catch (const std::exception& e) {
      c.note = std::string("threw: ") + e.what();
    }
    checks.push_back(c);
  }
  return checks;
}

}  // namespace svgen
