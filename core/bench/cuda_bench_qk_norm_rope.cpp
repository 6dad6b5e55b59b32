#include "core/bench/cuda_kernel_bench.h"
#include "core/model/rope.h"
#include "kernels/cuda/cuda_timer.h"

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
       << " GB/s copy bandwidth (goal >= 50%); one tensor (q or k) per call";
  row.note = note.str();
  return {row};
}

}  // namespace svgen
