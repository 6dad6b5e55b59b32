#include "core/attention/clustering/clustering.h"

#include "core/attention/attention_backend.h"
#include "core/common/cuda_launch.h"
#include "kernels/cuda/cuda_runtime_info.h"
#include "kernels/cuda/kmeans.h"
#include "kernels/cuda/token_permutation.h"

#include <ATen/ATen.h>
#include <c10/core/DeviceGuard.h>

#include <algorithm>
#include <cstdint>
#include <limits>
#include <stdexcept>

namespace svgen {

namespace {

bool onCudaKernels(const at::Tensor& t) {
  return t.is_cuda() && kernels::cudaKernelsCompiled();
}

at::Tensor deviceScratch(size_t bytes, const at::Device& device) {
  return at::empty({static_cast<int64_t>(std::max<size_t>(bytes, 1))},
                   at::TensorOptions().dtype(at::kByte).device(device));
}

void checkKmeansInput(const at::Tensor& x, int clusters, const at::Tensor& init) {
  if (x.dim() != 3 || clusters < 1) throw std::invalid_argument("kmeans: bad input");
  if (init.defined() && (init.dim() != 3 || init.size(0) != x.size(0) || init.size(1) != clusters ||
                         init.size(2) != x.size(2)))
    throw std::invalid_argument("kmeans: warm-start centroids do not match");
}

bool kmeansOnKernels(const at::Tensor& x, int clusters) {
  return onCudaKernels(x) && x.size(0) >= 1 && x.size(0) <= 65535 && x.size(1) >= 1 &&
         x.size(2) <= std::numeric_limits<int>::max() &&
         kernels::kmeansSupports(static_cast<int>(x.size(2)), clusters);
}

Clustering kmeansKernels(const at::Tensor& x, int clusters, int iterations,
                         const at::Tensor& init) {
  const int64_t H = x.size(0), L = x.size(1), D = x.size(2);
  const bool bf16 = x.scalar_type() == at::kBFloat16;
  const at::Tensor points = bf16 ? x.contiguous() : x.to(at::kFloat).contiguous();
  const at::TensorOptions f32 = x.options().dtype(at::kFloat);
  Clustering r;
  // The kernel refines the centroids in place: never the caller's tensor.
  r.centroids = init.defined() ? init.to(x.device(), at::kFloat).contiguous().clone()
                               : at::empty({H, clusters, D}, f32);
  r.labels = at::empty({H, L}, x.options().dtype(at::kLong));
  r.sizes = at::empty({H, clusters}, x.options().dtype(at::kLong));
  const at::Tensor scratch = deviceScratch(
      kernels::kmeansWorkspaceBytes(static_cast<int>(H), clusters, static_cast<int>(D)),
      x.device());
  kernels::kmeansCuda(points.data_ptr(),
                      bf16 ? kernels::PointType::kBFloat16 : kernels::PointType::kFloat32,
                      static_cast<int>(H), L, static_cast<int>(D), clusters, iterations,
                      init.defined(), r.centroids.data_ptr<float>(), r.labels.data_ptr<int64_t>(),
                      r.sizes.data_ptr<int64_t>(), scratch.data_ptr(), nullptr);
  return r;
}

}  // namespace

at::Tensor clusterSizes(const at::Tensor& labels, int clusters) {
  at::Tensor sizes = at::zeros({labels.size(0), clusters}, labels.options().dtype(at::kLong));
  return sizes.scatter_add_(1, labels, at::ones_like(labels));
}

Clustering kmeans(const at::Tensor& x, int clusters, int iterations, const at::Tensor& init) {
  checkKmeansInput(x, clusters, init);
  if (kmeansOnKernels(x, clusters)) return kmeansKernels(x, clusters, iterations, init);
  return kmeansReference(x, clusters, iterations, init);
}

Clustering kmeansReference(const at::Tensor& xIn, int clusters, int iterations,
                           const at::Tensor& init) {
  checkKmeansInput(xIn, clusters, init);
  const at::Tensor x = xIn.to(at::kFloat).contiguous();
  const int64_t H = x.size(0), L = x.size(1), D = x.size(2);
  at::Tensor c;
  if (init.defined()) {
    c = init.to(x.device(), at::kFloat).clone();
  } else {
    // Token (i + 1/2)·L/C for cluster i: evenly spaced through frames and positions.
    at::Tensor idx = ((at::arange(clusters, x.options().dtype(at::kDouble)) + 0.5) *
                      (static_cast<double>(L) / clusters))
                         .floor()
                         .clamp(0, L - 1)
                         .to(at::kLong);
    c = x.index_select(1, idx).clone();
  }
  Clustering r;
  const at::Tensor& xt = x;  // (H, L, D)
  // Flattened (H·L, D) rows and per-head label offsets let one index_add_ accumulate every head.
  const at::Tensor rows = xt.reshape({H * L, D});
  const at::Tensor headOffset =
      (at::arange(H, x.options().dtype(at::kLong)) * clusters).unsqueeze(1);
  for (int it = 0; it < std::max(1, iterations); ++it) {
    // argmin ‖x − c‖² = argmin (‖c‖² − 2 x·c); ‖x‖² is the same for every cluster.
    const at::Tensor dist =
        at::baddbmm(c.pow(2).sum(-1).unsqueeze(1), xt, c.transpose(1, 2), 1.0, -2.0);
    at::Tensor labels = dist.argmin(-1);  // (H, L)
    // Converged: the same assignment gives the same centroids from here on.
    const bool same = r.labels.defined() && at::equal(labels, r.labels);
    r.labels = labels;
    if (same) break;
    const at::Tensor flat = (labels + headOffset).reshape({H * L});
    const at::Tensor sums =
        at::zeros({H * clusters, D}, x.options()).index_add_(0, flat, rows).view({H, clusters, D});
    r.sizes = at::zeros({H * clusters}, x.options().dtype(at::kLong))
                  .index_add_(0, flat, at::ones({H * L}, x.options().dtype(at::kLong)))
                  .view({H, clusters});
    const at::Tensor n = r.sizes.unsqueeze(-1).to(at::kFloat);
    c = at::where(n > 0, sums / n.clamp_min(1), c);
  }
  r.centroids = c;
  return r;
}

namespace {

bool layoutOnKernels(const at::Tensor& labels, int clusters) {
  return onCudaKernels(labels) && labels.dim() == 2 && labels.size(0) >= 1 &&
         labels.size(0) <= 65535 && labels.size(1) >= 1 &&
         labels.size(1) <= std::numeric_limits<int32_t>::max() &&
         kernels::clusterLayoutSupports(clusters);
}

// perm (heads, L) int64 and starts (heads, C + 1) int32 from the kernel.
std::pair<at::Tensor, at::Tensor> layoutKernels(const at::Tensor& labels, int clusters) {
  const int64_t H = labels.size(0), L = labels.size(1);
  const at::Tensor lab = labels.to(at::kLong).contiguous();
  at::Tensor perm = at::empty({H, L}, lab.options());
  at::Tensor starts = at::empty({H, clusters + 1}, lab.options().dtype(at::kInt));
  const at::Tensor scratch = deviceScratch(
      kernels::clusterLayoutWorkspaceBytes(static_cast<int>(H), L, clusters), labels.device());
  kernels::clusterLayoutCuda(lab.data_ptr<int64_t>(), static_cast<int>(H), L, clusters,
                             perm.data_ptr<int64_t>(), starts.data_ptr<int32_t>(),
                             scratch.data_ptr(), nullptr);
  return {perm, starts};
}

}  // namespace

DeviceClusterLayout clusterLayoutOnDevice(const at::Tensor& labels, int clusters) {
  if (!layoutOnKernels(labels, clusters)) return {};
  auto [perm, starts] = layoutKernels(labels, clusters);
  return {perm.to(at::kInt), starts.view({-1})};
}

ClusterLayout clusterLayout(const at::Tensor& labels, int clusters) {
  if (!layoutOnKernels(labels, clusters)) return clusterLayoutReference(labels, clusters);
  ClusterLayout out;
  at::Tensor starts;
  std::tie(out.perm, starts) = layoutKernels(labels, clusters);
  starts = starts.to(at::kCPU);
  out.starts.assign(starts.data_ptr<int32_t>(), starts.data_ptr<int32_t>() + starts.numel());
  return out;
}

ClusterLayout clusterLayoutReference(const at::Tensor& labels, int clusters) {
  ClusterLayout out;
  out.perm = std::get<1>(at::sort(labels, /*stable=*/true, /*dim=*/1, /*descending=*/false));
  at::Tensor sizes = clusterSizes(labels, clusters).to(at::kCPU);
  const int64_t H = labels.size(0);
  out.starts.reserve(H * (clusters + 1));
  auto a = sizes.accessor<int64_t, 2>();
  for (int64_t h = 0; h < H; ++h) {
    int32_t s = 0;
    out.starts.push_back(0);
    for (int c = 0; c < clusters; ++c) out.starts.push_back(s += static_cast<int32_t>(a[h][c]));
  }
  return out;
}

std::vector<int32_t> orderOf(const at::Tensor& perm) {
  at::Tensor p = perm.to(at::kCPU, at::kInt).contiguous();
  return std::vector<int32_t>(p.data_ptr<int32_t>(), p.data_ptr<int32_t>() + p.numel());
}

at::Tensor permuteTokensReference(const at::Tensor& xIn, const at::Tensor& permIn) {
  const at::Tensor x = xIn.dim() == 4 ? headMajor(xIn) : xIn;
  const at::Tensor perm = permIn.to(at::kLong);
  return x.gather(1, perm.unsqueeze(-1).expand({x.size(0), x.size(1), x.size(2)}));
}

at::Tensor unpermuteTokensReference(const at::Tensor& y, const at::Tensor& permIn) {
  const at::Tensor perm = permIn.to(at::kLong);
  return at::empty_like(y).scatter_(1, perm.unsqueeze(-1).expand({y.size(0), y.size(1), y.size(2)}),
                                    y);
}

at::Tensor unpermuteTokensToModelReference(const at::Tensor& y, const at::Tensor& perm,
                                           int64_t batch) {
  const at::Tensor u = unpermuteTokensReference(y, perm);
  const int64_t H = y.size(0) / batch;
  return u.view({batch, H, y.size(1), y.size(2)}).permute({0, 2, 1, 3}).contiguous();
}

namespace {

// Rows of (heads, L, d) or (B, L, H, d) as the kernel addresses them; false when the tensor does
// not fit the kernel (it then takes the ATen path).
bool tokenLayoutOf(const at::Tensor& t, kernels::TokenLayout& layout) {
  for (int64_t i = 0; i < t.dim(); ++i)
    if (t.stride(i) < 0) return false;
  if (t.dim() == 3 && t.stride(2) == 1) {
    layout = {t.size(0), 0, t.stride(0), t.stride(1)};
    return true;
  }
  if (t.dim() == 4 && t.stride(3) == 1 && t.size(2) > 0) {
    layout = {t.size(2), t.stride(0), t.stride(2), t.stride(1)};
    return true;
  }
  return false;
}

bool permutationKernelUsable(const at::Tensor& x, const at::Tensor& perm, int64_t heads,
                             int64_t tokens) {
  if (!cudaKernelUsable(x) || perm.device() != x.device() || perm.dim() != 2 ||
      perm.size(0) != heads || perm.size(1) != tokens)
    return false;
  if (perm.scalar_type() != at::kLong && perm.scalar_type() != at::kInt) return false;
  const int64_t eb = static_cast<int64_t>(x.element_size());
  return (eb == 1 || eb == 2 || eb == 4 || eb == 8) && heads <= 65535;
}

// dst(h, ·) = src(h, perm[h][·]) (gather) or its inverse (scatter) through the CUDA kernel.
void runPermutation(bool scatter, const at::Tensor& src, const kernels::TokenLayout& srcLayout,
                    at::Tensor& dst, const kernels::TokenLayout& dstLayout,
                    const at::Tensor& permIn, int64_t heads, int64_t tokens, int64_t d) {
  const c10::DeviceGuard guard(src.device());
  const at::Tensor perm = permIn.contiguous();
  kernels::PermutationShape shape;
  shape.heads = heads;
  shape.tokens = tokens;
  shape.rowElements = d;
  shape.elementBytes = static_cast<int>(src.element_size());
  const bool is64 = perm.scalar_type() == at::kLong;
  if (scatter)
    kernels::scatterTokenRows(src.data_ptr(), srcLayout, dst.data_ptr(), dstLayout, perm.data_ptr(),
                              is64, shape, nullptr);
  else
    kernels::gatherTokenRows(src.data_ptr(), srcLayout, dst.data_ptr(), dstLayout, perm.data_ptr(),
                             is64, shape, nullptr);
}

kernels::TokenLayout headMajorLayout(int64_t heads, int64_t tokens, int64_t d) {
  return {heads, 0, tokens * d, d};
}

}  // namespace

at::Tensor permuteTokens(const at::Tensor& x, const at::Tensor& perm) {
  kernels::TokenLayout layout;
  if (x.dim() == 3 || x.dim() == 4) {
    const int64_t heads = x.dim() == 4 ? x.size(0) * x.size(2) : x.size(0);
    const int64_t L = x.size(1), d = x.size(-1);
    if (tokenLayoutOf(x, layout) && permutationKernelUsable(x, perm, heads, L)) {
      at::Tensor out =
          at::empty({heads, L, d}, x.options().memory_format(at::MemoryFormat::Contiguous));
      runPermutation(false, x, layout, out, headMajorLayout(heads, L, d), perm, heads, L, d);
      return out;
    }
  }
  return permuteTokensReference(x, perm);
}

at::Tensor unpermuteTokens(const at::Tensor& y, const at::Tensor& perm) {
  kernels::TokenLayout layout;
  if (y.dim() == 3 && tokenLayoutOf(y, layout) &&
      permutationKernelUsable(y, perm, y.size(0), y.size(1))) {
    const int64_t heads = y.size(0), L = y.size(1), d = y.size(2);
    at::Tensor out =
        at::empty({heads, L, d}, y.options().memory_format(at::MemoryFormat::Contiguous));
    runPermutation(true, y, layout, out, headMajorLayout(heads, L, d), perm, heads, L, d);
    return out;
  }
  return unpermuteTokensReference(y, perm);
}

at::Tensor unpermuteTokensToModel(const at::Tensor& y, const at::Tensor& perm, int64_t batch) {
  kernels::TokenLayout layout;
  if (y.dim() == 3 && batch >= 1 && y.size(0) % batch == 0 && tokenLayoutOf(y, layout) &&
      permutationKernelUsable(y, perm, y.size(0), y.size(1))) {
    const int64_t heads = y.size(0), H = heads / batch, L = y.size(1), d = y.size(2);
    at::Tensor out =
        at::empty({batch, L, H, d}, y.options().memory_format(at::MemoryFormat::Contiguous));
    runPermutation(true, y, layout, out, {H, L * H * d, d, H * d}, perm, heads, L, d);
    return out;
  }
  return unpermuteTokensToModelReference(y, perm, batch);
}

}  // namespace svgen
