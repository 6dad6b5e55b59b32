#include "core/bench/cuda_kernel_bench.h"
#include "core/model/rope.h"
#include "kernels/cuda/cuda_timer.h"
#include "kernels/cuda/qk_norm_rope.h"

#include <ATen/ATen.h>

#include <sstream>
#include <stdexcept>

namespace svgen {

namespace {

// H200 device-to-device copy bandwidth (read + write), measured; the goal is within 2x of it.
constexpr double kCopyGBs = 4300;

}  // namespace

std::vector<KernelBenchRow> benchQkNormRopeCuda(const KernelBenchShape& s) {
  const at::Device device(at::kCUDA, 0);
  const int64_t B = s.batch, L = s.tokens(), heads = s.heads, hd = s.headDim, dim = heads * hd;
  const auto f32 = at::TensorOptions().dtype(at::kFloat).device(device);
  const RopeTables tables = makeRopeTables(s.grid[0], s.grid[1], s.grid[2], hd, device);
  const at::Tensor x = (at::randn({B, L, dim}, f32) * 2 + 0.1).to(at::kBFloat16);
  const at::Tensor w = (at::randn({dim}, f32) * 0.3 + 1).to(at::kBFloat16);
  const double eps = 1e-6;
  if (!rmsNormRopeUsesKernel(x, w, tables, heads))
    throw std::runtime_error("benchQkNormRopeCuda: rmsNormRope would not take the CUDA kernel");

  const auto ours =
      kernels::timeCuda([&] { (void)rmsNormRope(x, w, eps, tables, heads); }, 3, s.repeats);
  const auto ref = kernels::timeCuda([&] { (void)rmsNormRopeReference(x, w, eps, tables, heads); },
                                     3, s.repeats);

  // What must move: x read once, the output written once, the weight and both tables read once.
  const double bytes = 2.0 * B * L * dim * 2 + dim * 2.0 + 2.0 * L * (hd / 2) * 4;
  KernelBenchRow row;
  row.kernel = "qk_norm_rope";
  std::ostringstream shape;
  shape << "B=" << B << " L=" << L << " " << heads << "x" << hd << " (dim " << dim << "), bf16";
  row.shape = shape.str();
  row.ms = ours.medianMs;
  row.referenceMs = ref.medianMs;
  row.reference = "LibTorch rmsNorm (fp32) + applyRope, unfused";
  row.gbPerSecond = bytes / (ours.medianMs * 1e6);
  std::ostringstream note;
  note.precision(3);
  note << "speedup " << ref.medianMs / ours.medianMs << "x (goal >= 5x); " << row.gbPerSecond
       << " GB/s = " << 100 * row.gbPerSecond / kCopyGBs << "% of ~" << kCopyGBs
       << " GB/s copy bandwidth (goal >= 50%); one tensor (q or k) per call, through core "
          "rmsNormRope";
  row.note = note.str();

  // q and k in one launch straight through the kernel interface: no allocation or host checks in
  // the timed region, so this row is the kernel's own bandwidth.
  const at::Tensor k = (at::randn({B, L, dim}, f32) * 2 - 0.1).to(at::kBFloat16);
  at::Tensor outQ = at::empty({B, L, heads, hd}, x.options());
  at::Tensor outK = at::empty_like(outQ);
  kernels::NormRopeOperand ops[2];
  ops[0] = {x.data_ptr(), x.stride(1), w.data_ptr(), outQ.data_ptr()};
  ops[1] = {k.data_ptr(), k.stride(1), w.data_ptr(), outK.data_ptr()};
  kernels::NormRopeShape ks;
  ks.rows = B * L;
  ks.seqLen = L;
  ks.heads = static_cast<int>(heads);
  ks.headDim = static_cast<int>(hd);
  ks.eps = eps;
  const float* cs = tables.cos.data_ptr<float>();
  const float* sn = tables.sin.data_ptr<float>();
  const auto pair = kernels::timeCuda(
      [&] { kernels::rmsNormRopeBf16(ops, 2, ks, cs, sn, nullptr); }, 3, s.repeats);
  KernelBenchRow pairRow = row;
  pairRow.kernel = "qk_norm_rope (q+k, one launch)";
  pairRow.ms = pair.medianMs;
  pairRow.referenceMs = 2 * ref.medianMs;
  pairRow.reference = "the unfused ops, twice";
  // Both tensors read and written once, one weight each, the tables once.
  const double pairBytes = 4.0 * B * L * dim * 2 + 2 * dim * 2.0 + 2.0 * L * (hd / 2) * 4;
  pairRow.gbPerSecond = pairBytes / (pair.medianMs * 1e6);
  std::ostringstream pairNote;
  pairNote.precision(3);
  pairNote << "speedup " << pairRow.referenceMs / pair.medianMs << "x; " << pairRow.gbPerSecond
           << " GB/s = " << 100 * pairRow.gbPerSecond / kCopyGBs << "% of ~" << kCopyGBs
           << " GB/s; kernel only (no allocation, no host checks)";
  pairRow.note = pairNote.str();
  return {row, pairRow};
}

}  // namespace svgen
