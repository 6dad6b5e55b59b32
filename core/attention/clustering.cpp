#include "core/attention/clustering.h"

#include <ATen/ATen.h>

#include <algorithm>
#include <stdexcept>

namespace svgen {

at::Tensor clusterSizes(const at::Tensor& labels, int clusters) {
  at::Tensor sizes = at::zeros({labels.size(0), clusters}, labels.options().dtype(at::kLong));
  return sizes.scatter_add_(1, labels, at::ones_like(labels));
}

Clustering kmeans(const at::Tensor& xIn, int clusters, int iterations, const at::Tensor& init) {
  if (xIn.dim() != 3 || clusters < 1) throw std::invalid_argument("kmeans: bad input");
  const at::Tensor x = xIn.to(at::kFloat).contiguous();
  const int64_t H = x.size(0), L = x.size(1), D = x.size(2);
  at::Tensor c;
  if (init.defined()) {
    if (init.dim() != 3 || init.size(0) != H || init.size(1) != clusters || init.size(2) != D)
      throw std::invalid_argument("kmeans: warm-start centroids do not match");
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
  const at::Tensor xt = x;  // (H, L, D)
  for (int it = 0; it < std::max(1, iterations); ++it) {
    // argmin ‖x − c‖² = argmin (‖c‖² − 2 x·c); ‖x‖² is the same for every cluster.
    at::Tensor dist = c.pow(2).sum(-1).unsqueeze(1) - 2.0 * at::matmul(xt, c.transpose(1, 2));
    r.labels = std::get<1>(dist.min(-1));  // (H, L)
    at::Tensor sums =
        at::zeros_like(c).scatter_add_(1, r.labels.unsqueeze(-1).expand({H, L, D}), xt);
    r.sizes = clusterSizes(r.labels, clusters);
    at::Tensor n = r.sizes.unsqueeze(-1).to(at::kFloat);
    at::Tensor next = at::where(n > 0, sums / n.clamp_min(1), c);
    // Converged (SVG2 stops at the same shift): the remaining iterations would change nothing.
    const bool settled = (next - c).abs().max().item<float>() < 1e-4f;
    c = next;
    if (settled) break;
  }
  r.centroids = c;
  return r;
}

ClusterLayout clusterLayout(const at::Tensor& labels, int clusters) {
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

at::Tensor permuteTokens(const at::Tensor& x, const at::Tensor& perm) {
  return x.gather(1, perm.unsqueeze(-1).expand({x.size(0), x.size(1), x.size(2)}));
}

at::Tensor unpermuteTokens(const at::Tensor& y, const at::Tensor& perm) {
  return at::empty_like(y).scatter_(1, perm.unsqueeze(-1).expand({y.size(0), y.size(1), y.size(2)}),
                                    y);
}

}  // namespace svgen
