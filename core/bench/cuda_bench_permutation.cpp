#include "core/attention/clustering/clustering.h"
#include "core/bench/cuda_kernel_bench.h"
#include "kernels/cuda/cuda_timer.h"

#include <ATen/ATen.h>

#include <sstream>

namespace svgen {

namespace {

constexpr double kCopyGBs = 4300;  // H200 device-to-device copy bandwidth (read + write)

KernelBenchRow makeRow(const std::string& kernel, const std::string& shape,
                       const kernels::CudaTiming& ours, const kernels::CudaTiming& ref,
                       const std::string& reference, double bytes) {
  KernelBenchRow row;
  row.kernel = kernel;
  row.shape = shape;
  row.ms = ours.medianMs;
  row.referenceMs = ref.medianMs;
  row.reference = reference;
  row.gbPerSecond = bytes / (ours.medianMs * 1e6);
  std::ostringstream note;
  note.precision(3);
  note << "speedup " << ref.medianMs / ours.medianMs << "x; " << 100 * row.gbPerSecond / kCopyGBs
       << "% of ~" << kCopyGBs << " GB/s copy bandwidth";
  row.note = note.str();
  return row;
}

}  // namespace

std::vector<KernelBenchRow> benchPermutationCuda(const KernelBenchShape& s) {
  const at::Device device(at::kCUDA, 0);
  const int64_t B = s.batch, L = s.tokens(), H = s.heads, d = s.headDim, heads = B * H;
  const auto f32 = at::TensorOptions().dtype(at::kFloat).device(device);
  // The model's layout straight out of the QKV projection, and a cluster-sorted order per head.
  const at::Tensor x = at::randn({B, L, H, d}, f32).to(at::kBFloat16);
  const at::Tensor labels = at::randint(s.keyClusters, {heads, L}, f32.dtype(at::kLong));
  const at::Tensor perm = clusterLayout(labels, s.keyClusters).perm;  // int64
  const at::Tensor y = permuteTokensReference(x, perm);               // (heads, L, d)
  const at::Tensor xHead = y.clone();

  std::ostringstream shape;
  shape << "B=" << B << " L=" << L << " " << H << "x" << d << ", bf16, int64 perm";
  // Each row is read once and written once; the permutation is read once.
  const double bytes = 2.0 * heads * L * d * 2 + heads * L * 8.0;
  const int w = 3, r = s.repeats;
  std::vector<KernelBenchRow> rows;
  rows.push_back(makeRow("permute (B,L,H,d) -> head-major", shape.str(),
                         kernels::timeCuda([&] { (void)permuteTokens(x, perm); }, w, r),
                         kernels::timeCuda([&] { (void)permuteTokensReference(x, perm); }, w, r),
                         "LibTorch headMajor (permute + contiguous) then gather", bytes));
  rows.push_back(
      makeRow("permute head-major", shape.str(),
              kernels::timeCuda([&] { (void)permuteTokens(xHead, perm); }, w, r),
              kernels::timeCuda([&] { (void)permuteTokensReference(xHead, perm); }, w, r),
              "LibTorch gather", bytes));
  rows.push_back(makeRow("unpermute head-major", shape.str(),
                         kernels::timeCuda([&] { (void)unpermuteTokens(y, perm); }, w, r),
                         kernels::timeCuda([&] { (void)unpermuteTokensReference(y, perm); }, w, r),
                         "LibTorch scatter_", bytes));
  rows.push_back(
      makeRow("unpermute -> (B,L,H,d)", shape.str(),
              kernels::timeCuda([&] { (void)unpermuteTokensToModel(y, perm, B); }, w, r),
              kernels::timeCuda([&] { (void)unpermuteTokensToModelReference(y, perm, B); }, w, r),
              "LibTorch scatter_ then permute + contiguous", bytes));
  return rows;
}

}  // namespace svgen
