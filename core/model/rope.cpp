#include "core/model/rope.h"

#include "core/common/cuda_launch.h"
#include "kernels/cuda/qk_norm_rope.h"

#include <ATen/ATen.h>
#include <c10/core/DeviceGuard.h>
#include <c10/core/GradMode.h>

#include <stdexcept>

namespace svgen {

namespace {

// Angles (positions, pairs) for one axis of `axisDims` dims; computed in float64 as Wan does.
at::Tensor axisAngles(int64_t positions, int64_t axisDims, double theta) {
  auto opts = at::TensorOptions().dtype(at::kDouble);
  at::Tensor j = at::arange(0, axisDims, 2, opts);
  at::Tensor inv = at::pow(theta, -j / static_cast<double>(axisDims));
  return at::outer(at::arange(positions, opts), inv);
}

// Per-axis tables laid over the (frames, height, width) grid, frame-major: (F·H·W, columns).
// The axes get `split` pairs each. `axis(positions, axisPairs)` builds one axis's
// (positions, columns).
template <typename AxisTable>
at::Tensor overGrid(int64_t frames, int64_t height, int64_t width,
                    const std::array<int64_t, 3>& split, const AxisTable& axis) {
  const at::Tensor tf = axis(frames, split[0]), th = axis(height, split[1]),
                   tw = axis(width, split[2]);
  const int64_t cf = tf.size(1), ch = th.size(1), cw = tw.size(1);
  return at::cat({tf.view({frames, 1, 1, cf}).expand({frames, height, width, cf}),
                  th.view({1, height, 1, ch}).expand({frames, height, width, ch}),
                  tw.view({1, 1, width, cw}).expand({frames, height, width, cw})},
                 -1)
      .reshape({frames * height * width, cf + ch + cw});
}

}  // namespace

std::array<int64_t, 3> ropeAxisPairs(int64_t pairs) {
  const int64_t spatial = pairs / 3;
  return {pairs - 2 * spatial, spatial, spatial};
}

RopeTables makeRopeTables(int64_t frames, int64_t height, int64_t width, int64_t headDim,
                          const at::Device& device, double theta) {
  return makeRopeTables(frames, height, width, ropeAxisPairs(headDim / 2), device, theta);
}

RopeTables makeRopeTables(int64_t frames, int64_t height, int64_t width,
                          const std::array<int64_t, 3>& axisPairs, const at::Device& device,
                          double theta) {
  const at::Tensor angles =
      overGrid(frames, height, width, axisPairs, [&](int64_t positions, int64_t pairs) {
        return axisAngles(positions, 2 * pairs, theta);  // (positions, pairs)
      });
  return {at::cos(angles).to(at::kFloat).to(device), at::sin(angles).to(at::kFloat).to(device)};
}

at::Tensor sincosPositionEmbedding(int64_t frames, int64_t height, int64_t width, int64_t dim,
                                   const at::Device& device, double theta) {
  at::Tensor table = overGrid(
      frames, height, width, ropeAxisPairs(dim / 2), [&](int64_t positions, int64_t pairs) {
        const at::Tensor a = axisAngles(positions, 2 * pairs, theta);  // (positions, pairs)
        return at::cat({at::sin(a), at::cos(a)}, -1);                  // (positions, 2·pairs)
      });
  // An odd dim leaves one column without a pair.
  if (table.size(1) < dim) table = at::constant_pad_nd(table, {0, dim - table.size(1)});
  return table.to(at::kFloat).to(device);
}

at::Tensor applyRope(const at::Tensor& x, const RopeTables& tables) {
  const auto sizes = x.sizes();  // B, L, N, D
  const int64_t c = sizes[3] / 2;
  at::Tensor pairs = x.to(at::kFloat).reshape({sizes[0], sizes[1], sizes[2], c, 2});
  at::Tensor x0 = pairs.select(-1, 0);
  at::Tensor x1 = pairs.select(-1, 1);
  at::Tensor cs = tables.cos.view({1, sizes[1], 1, c});
  at::Tensor sn = tables.sin.view({1, sizes[1], 1, c});
  at::Tensor out = at::stack({x0 * cs - x1 * sn, x0 * sn + x1 * cs}, -1);
  return out.reshape(sizes).to(x.scalar_type());
}

at::Tensor rmsNorm(const at::Tensor& x, const at::Tensor& weight, double eps) {
  at::Tensor xf = x.to(at::kFloat);
  at::Tensor normed = xf * at::rsqrt(xf.pow(2).mean(-1, true) + eps);
  return (normed.to(x.scalar_type()) * weight.to(x.scalar_type()));
}

at::Tensor rmsNormRopeReference(const at::Tensor& x, const at::Tensor& weight, double eps,
                                const RopeTables& tables, int64_t heads) {
  const int64_t dim = x.size(-1);
  return applyRope(rmsNorm(x, weight, eps).reshape({x.size(0), x.size(1), heads, dim / heads}),
                   tables);
}

bool rmsNormRopeUsesKernel(const at::Tensor& x, const at::Tensor& weight, const RopeTables& tables,
                           int64_t heads) {
  if (x.dim() != 3 || heads < 1 || x.scalar_type() != at::kBFloat16 || !cudaKernelUsable(x))
    return false;
  // The kernel writes through raw pointers, so its output has no autograd history: in training
  // q and k (and their norms) would never receive a gradient.
  if (c10::GradMode::is_enabled() && (x.requires_grad() || weight.requires_grad())) return false;
  const int64_t B = x.size(0), L = x.size(1), dim = x.size(2);
  if (dim % heads != 0) return false;
  const int64_t hd = dim / heads;
  if (hd % 8 != 0 || dim > 16384 || L < 1 || B < 1) return false;
  // Rows must sit at one stride from each other, 16-byte aligned (a view into a fused qkv
  // buffer qualifies; a transposed tensor does not).
  if (x.stride(2) != 1 || x.stride(1) % 8 != 0 || x.stride(1) < dim) return false;
  if (B > 1 && x.stride(0) != L * x.stride(1)) return false;
  if (!dataAligned(x, 16)) return false;
  if (weight.dim() != 1 || weight.size(0) != dim || weight.device() != x.device()) return false;
  for (const at::Tensor* t : {&tables.cos, &tables.sin}) {
    if (!t->defined() || t->device() != x.device() || t->scalar_type() != at::kFloat ||
        t->dim() != 2 || t->size(0) != L || t->size(1) != hd / 2 || !t->is_contiguous() ||
        !dataAligned(*t, 16))
      return false;
  }
  return true;
}

at::Tensor rmsNormRope(const at::Tensor& x, const at::Tensor& weight, double eps,
                       const RopeTables& tables, int64_t heads) {
  if (!rmsNormRopeUsesKernel(x, weight, tables, heads))
    return rmsNormRopeReference(x, weight, eps, tables, heads);
  const c10::DeviceGuard guard(x.device());
  const int64_t B = x.size(0), L = x.size(1), dim = x.size(2);
  at::Tensor w = weight.to(at::kBFloat16).contiguous();
  if (!dataAligned(w, 16)) w = w.clone();  // a view into a loaded file may sit anywhere
  at::Tensor out = at::empty({B, L, heads, dim / heads},
                             x.options().memory_format(at::MemoryFormat::Contiguous));
  kernels::NormRopeOperand op;
  op.x = x.data_ptr();
  op.rowStride = x.stride(1);
  op.weight = w.data_ptr();
  op.out = out.data_ptr();
  kernels::NormRopeShape shape;
  shape.rows = B * L;
  shape.seqLen = L;
  shape.heads = static_cast<int>(heads);
  shape.headDim = static_cast<int>(dim / heads);
  shape.eps = eps;
  kernels::rmsNormRopeBf16(&op, 1, shape, tables.cos.data_ptr<float>(),
                           tables.sin.data_ptr<float>(), nullptr);
  return out;
}

}  // namespace svgen
