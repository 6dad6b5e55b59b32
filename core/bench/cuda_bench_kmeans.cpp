// The CUDA kernels that build SVG2's plan, each timed against the ATen code it replaces (the
// *Reference functions of core/attention), in the same run, on random bf16 queries and keys.
#include "core/attention/block_sparse.h"
#include "core/attention/clustering/cluster_selection.h"
#include "core/attention/clustering/clustering.h"
#include "core/bench/cuda_kernel_bench.h"
#include "kernels/cuda/cuda_timer.h"
#include "kernels/cuda/kmeans.h"

#include <ATen/ATen.h>

#include <functional>
#include <vector>
#include <string>

namespace svgen {
namespace {

// Evenly spaced tokens, moved a little: a warm start like the previous step's centroids.
at::Tensor warmStart(const at::Tensor& x, int clusters) {
  const int64_t L = x.size(1);
  const at::Tensor idx =
      ((at::arange(clusters, at::kDouble) + 0.5) * (static_cast<double>(L) / clusters))
          .floor()
          .clamp(0, L - 1)
          .to(at::kLong)
          .to(x.device());
  const at::Tensor c = x.index_select(1, idx).to(at::kFloat);
  return c + 0.05 * at::randn_like(c);
}

}  // namespace

std::vector<KernelBenchRow> benchKmeansCuda(const KernelBenchShape& shape) {
  const at::Device dev(at::kCUDA, 0);
  const int64_t H = static_cast<int64_t>(shape.batch) * shape.heads, L = shape.tokens();
  const int64_t D = shape.headDim;
  const int cq = shape.queryClusters, ck = shape.keyClusters, iters = shape.warmIterations;
  const int warmup = 2, repeats = shape.repeats;
  at::manual_seed(7);
  const at::Tensor q = at::randn({H, L, D}, at::TensorOptions().device(dev)).to(at::kBFloat16);
  const at::Tensor k = at::randn({H, L, D}, at::TensorOptions().device(dev)).to(at::kBFloat16);
  const at::Tensor qInit = warmStart(q, cq), kInit = warmStart(k, ck);
  const std::string tokens =
      std::to_string(H) + "x" + std::to_string(L) + "x" + std::to_string(D) + " bf16";

  struct Side {
    at::Tensor x, init;
    int C;
    const char* who;
  };
  const std::vector<Side> sides = {{q, qInit, cq, "q"}, {k, kInit, ck, "k"}};

  std::vector<KernelBenchRow> rows;
  auto add = [&](const std::string& kernel, const std::string& shapeText,
                 const std::function<void()>& ours, const std::function<void()>& reference,
                 const std::string& referenceName, double flops, double bytes,
                 const std::string& note) {
    KernelBenchRow r;
    r.kernel = kernel;
    r.shape = shapeText;
    r.ms = kernels::timeCuda(ours, warmup, repeats).medianMs;
    r.referenceMs = kernels::timeCuda(reference, warmup, repeats).medianMs;
    r.reference = referenceName;
    r.tflops = flops > 0 ? flops / (r.ms * 1e-3) / 1e12 : 0;
    r.gbPerSecond = bytes > 0 ? bytes / (r.ms * 1e-3) / 1e9 : 0;
    r.note = note;
    rows.push_back(r);
  };

  // One assignment pass: the GEMM with its argmin epilogue.
  for (const Side& side : sides) {
    const at::Tensor &x = side.x, &init = side.init;
    const int C = side.C;
    const char* who = side.who;
    const at::Tensor cb = at::empty({H, C, D}, init.options().dtype(at::kBFloat16));
    const at::Tensor norms = at::empty({H, C}, init.options());
    const at::Tensor labels = at::empty({H, L}, x.options().dtype(at::kLong));
    kernels::kmeansPrepareCentroids(init.data_ptr<float>(), static_cast<int>(H), C,
                                    static_cast<int>(D), static_cast<uint16_t*>(cb.data_ptr()),
                                    norms.data_ptr<float>(), nullptr);
    const at::Tensor xf = x.to(at::kFloat);
    const at::Tensor cNorm = init.pow(2).sum(-1).unsqueeze(1);
    add(
        std::string("kmeans_assign_") + who, tokens + ", C " + std::to_string(C),
        [&] {
          kernels::kmeansAssign(x.data_ptr(), kernels::PointType::kBFloat16, static_cast<int>(H), L,
                                static_cast<int>(D), static_cast<const uint16_t*>(cb.data_ptr()),
                                norms.data_ptr<float>(), C, labels.data_ptr<int64_t>(), nullptr,
                                nullptr);
        },
        [&] { at::baddbmm(cNorm, xf, init.transpose(1, 2), 1.0, -2.0).argmin(-1); },
        "fp32 baddbmm + argmin (kmeansReference's pass, points already fp32)", 2.0 * H * L * C * D,
        0, "tflops: the distance GEMM");
  }

  // A warm k-means call as SVG2 makes it after the first sparse step.
  for (const Side& side : sides) {
    const at::Tensor &x = side.x, &init = side.init;
    const int C = side.C;
    const char* who = side.who;
    add(
        std::string("kmeans_warm_") + who,
        tokens + ", C " + std::to_string(C) + ", " + std::to_string(iters) + " passes",
        [&] { kmeans(x, C, iters, init); }, [&] { kmeansReference(x, C, iters, init); },
        "kmeansReference (ATen)", 0, 0,
        "includes the device-to-host read of the change count after each pass but the first");
  }

  const Clustering qc = kmeans(q, cq, iters, qInit), kc = kmeans(k, ck, iters, kInit);
  add(
      "cluster_layout", std::to_string(H) + "x" + std::to_string(L) + ", C " + std::to_string(ck),
      [&] { clusterLayout(kc.labels, ck); }, [&] { clusterLayoutReference(kc.labels, ck); },
      "clusterLayoutReference (stable sort + sizes)", 0, 3.0 * 8 * H * L,
      "starts copied to the host in both");

  const at::Tensor logits = centroidLogits(qc.centroids, kc.centroids, kc.sizes);
  auto freshPlan = [&] {
    BlockSparsePlan p;
    p.heads = H;
    p.numQueryBlocks = cq;
    p.numKeyBlocks = ck;
    return p;
  };
  add(
      "cluster_selection_top_p",
      std::to_string(H) + "x" + std::to_string(cq) + "x" + std::to_string(ck) + " logits",
      [&] {
        BlockSparsePlan p = freshPlan();
        appendTopPRows(p, logits, 0.9, ck / 10);
      },
      [&] {
        BlockSparsePlan p = freshPlan();
        appendTopPRowsReference(p, logits, 0.9, ck / 10);
      },
      "appendTopPRowsReference (softmax, sort, cumsum, host loop)", 0, 4.0 * H * cq * ck,
      "top-p 0.9, at least 10% of the key clusters; rows copied into the host plan in both");

  // Everything SVG2 does per call to get its plan (warm k-means, layouts, orders, selection).
  auto buildPlan = [&](bool reference) {
    const Clustering a =
        reference ? kmeansReference(q, cq, iters, qInit) : kmeans(q, cq, iters, qInit);
    const Clustering b =
        reference ? kmeansReference(k, ck, iters, kInit) : kmeans(k, ck, iters, kInit);
    const ClusterLayout ql =
        reference ? clusterLayoutReference(a.labels, cq) : clusterLayout(a.labels, cq);
    const ClusterLayout kl =
        reference ? clusterLayoutReference(b.labels, ck) : clusterLayout(b.labels, ck);
    BlockSparsePlan p = freshPlan();
    p.queryLen = p.keyLen = L;
    p.queryStarts = ql.starts;
    p.keyStarts = kl.starts;
    p.queryOrder = orderOf(ql.perm);
    p.keyOrder = orderOf(kl.perm);
    const at::Tensor s = centroidLogits(a.centroids, b.centroids, b.sizes);
    if (reference)
      appendTopPRowsReference(p, s, 0.9, ck / 10);
    else
      appendTopPRows(p, s, 0.9, ck / 10);
  };
  add(
      "clustered_plan", tokens + ", Cq " + std::to_string(cq) + ", Ck " + std::to_string(ck),
      [&] { buildPlan(false); }, [&] { buildPlan(true); },
      "the same steps on the *Reference functions", 0, 0,
      "per attention call: warm k-means of q and k, layouts, orders to the host, top-p");
  return rows;
}

}  // namespace svgen
