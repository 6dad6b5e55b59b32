// The residual stream's elementwise steps that every DiT here takes (Wan's and HunyuanVideo's):
// modulated LayerNorm into the compute dtype and the gated residual add, through fused CUDA
// kernels for bf16 inference, ATen ops elsewhere.
#pragma once
#include "kernels/cuda/cuda_runtime_info.h"
#include "kernels/cuda/modulation.h"

#include <ATen/ATen.h>
#include <c10/core/GradMode.h>

#include <array>
#include <cstdint>
#include <vector>

namespace svgen {

// Fused CUDA kernels for bf16 inference (autograd needs the ATen ops), the ATen ops everywhere
// else. Both compute in float32 and round once to bf16. x: the float32 residual stream (B, L, d),
// contiguous (the fused add updates it in place).
class ResidualOps {
 public:
  ResidualOps(const at::Tensor& x, at::ScalarType dtype, double eps)
      : dtype_(dtype),
        eps_(eps),
        fused_(x.is_cuda() && dtype == at::kBFloat16 && !c10::GradMode::is_enabled() &&
               kernels::cudaKernelsCompiled() && x.size(-1) % 4 == 0 && x.size(-1) <= 8192) {}

  // LayerNorm(x) · mul + add in the compute dtype; mul, add: (B, 1, d) or (1, d) float32.
  at::Tensor norm(const at::Tensor& x, const at::Tensor& mul, const at::Tensor& add) const {
    const int64_t B = x.size(0), L = x.size(1), d = x.size(2);
    if (!fused_) return (at::layer_norm(x, {d}, {}, {}, eps_) * mul + add).to(dtype_);
    const at::Tensor m = mul.to(at::kFloat).expand({B, 1, d}).contiguous();
    const at::Tensor a = add.to(at::kFloat).expand({B, 1, d}).contiguous();
    at::Tensor y = at::empty({B, L, d}, x.options().dtype(at::kBFloat16));
    kernels::modulatedLayerNormCuda(x.data_ptr<float>(), m.data_ptr<float>(), a.data_ptr<float>(),
                                    d, y.data_ptr(), B, L, static_cast<int>(d),
                                    static_cast<float>(eps_));
    return y;
  }

  // The same with the first `split` rows modulated by their own `mul0`, `add0` (clean tokens).
  at::Tensor norm(const at::Tensor& x, const at::Tensor& mul, const at::Tensor& add,
                  const at::Tensor& mul0, const at::Tensor& add0, int64_t split) const {
    if (split <= 0) return norm(x, mul, add);
    const int64_t B = x.size(0), L = x.size(1), d = x.size(2);
    if (!fused_) {
      const at::Tensor n = at::layer_norm(x, {d}, {}, {}, eps_);
      return at::cat(
                 {n.narrow(1, 0, split) * mul0 + add0, n.narrow(1, split, L - split) * mul + add},
                 1)
          .to(dtype_);
    }
    const std::array<at::Tensor, 2> m = {perSample(mul0, B, d), perSample(mul, B, d)};
    const std::array<at::Tensor, 2> a = {perSample(add0, B, d), perSample(add, B, d)};
    at::Tensor y = at::empty({B, L, d}, x.options().dtype(at::kBFloat16));
    for (const Run& r : runs(B, L, split))
      kernels::modulatedLayerNormCuda(
          x.data_ptr<float>() + r.offset * d, m[r.part].data_ptr<float>() + r.sample * d,
          a[r.part].data_ptr<float>() + r.sample * d, 0,
          static_cast<char*>(y.data_ptr()) + r.offset * d * y.element_size(), 1, r.rows,
          static_cast<int>(d), static_cast<float>(eps_));
    return y;
  }

  // x + a · gate, the first `split` rows gated by `gate0` (clean tokens).
  void addGated(at::Tensor& x, const at::Tensor& a, const at::Tensor& gate, const at::Tensor& gate0,
                int64_t split) const {
    if (split <= 0) return addGated(x, a, gate);
    const int64_t B = x.size(0), L = x.size(1), d = x.size(2);
    if (!fused_ || a.scalar_type() != at::kBFloat16 || !a.is_contiguous()) {
      const at::Tensor af = a.to(at::kFloat);
      x = x + at::cat({af.narrow(1, 0, split) * gate0, af.narrow(1, split, L - split) * gate}, 1);
      return;
    }
    const std::array<at::Tensor, 2> g = {perSample(gate0, B, d), perSample(gate, B, d)};
    for (const Run& r : runs(B, L, split))
      kernels::gatedResidualCuda(x.data_ptr<float>() + r.offset * d,
                                 static_cast<const char*>(a.data_ptr()) + r.offset * d * 2,
                                 g[r.part].data_ptr<float>() + r.sample * d, 0, 1, r.rows,
                                 static_cast<int>(d));
  }

  // x + a · gate (gate undefined: 1), in place where fused.
  void addGated(at::Tensor& x, const at::Tensor& a, const at::Tensor& gate) const {
    if (!fused_ || a.scalar_type() != at::kBFloat16 || !a.is_contiguous()) {
      x = gate.defined() ? x + a.to(at::kFloat) * gate : x + a.to(at::kFloat);
      return;
    }
    const int64_t B = x.size(0), L = x.size(1), d = x.size(2);
    at::Tensor g;
    if (gate.defined()) g = gate.to(at::kFloat).expand({B, 1, d}).contiguous();
    kernels::gatedResidualCuda(x.data_ptr<float>(), a.data_ptr(),
                               g.defined() ? g.data_ptr<float>() : nullptr, d, B, L,
                               static_cast<int>(d));
  }

  bool fused() const { return fused_; }

 private:
  // The fused kernels take one modulation row per sample: split rows run in pieces, each
  // sample's clean rows (part 0) and the rest (part 1), `offset` rows into the stream.
  struct Run {
    int64_t offset, rows, sample;
    int part;
  };
  static std::vector<Run> runs(int64_t B, int64_t L, int64_t split) {
    std::vector<Run> out;
    for (int64_t b = 0; b < B; ++b) {
      out.push_back({b * L, split, b, 0});
      out.push_back({b * L + split, L - split, b, 1});
    }
    return out;
  }
  static at::Tensor perSample(const at::Tensor& row, int64_t B, int64_t d) {
    return row.to(at::kFloat).expand({B, 1, d}).contiguous();
  }

  at::ScalarType dtype_;
  double eps_;
  bool fused_;
};

}  // namespace svgen
