// The CUDA kernels that build SVG2/SVOO's plan (kernels/cuda/kmeans.h) against the ATen code in
// core/attention, run on the same device. k-means is compared robustly (bf16 dot products may
// flip near-ties, after which iterations take their own path): each assignment must be within a
// bound of the nearest centroid computed in float64, each centroid the mean of its points, and the
// objective close to the reference's. Layout and selection are compared list by list.
#include "core/attention/block_sparse.h"
#include "core/attention/clustering/cluster_selection.h"
#include "core/attention/clustering/clustering.h"
#include "core/selftest/kernel_selftest.h"
#include "kernels/cuda/cuda_runtime_info.h"
#include "kernels/cuda/kmeans.h"

#include <ATen/ATen.h>

#include <algorithm>
#include <cmath>
#include <iterator>
#include <numeric>
#include <sstream>
#include <string>
#include <vector>

namespace svgen {
namespace {

// Random points on the CPU generator (seeded once) moved to the device, so a run is reproducible.
at::Tensor randomPoints(int64_t H, int64_t n, int64_t d, at::ScalarType type,
                        const c10::Device& device) {
  return at::randn({H, n, d}).to(device, type);
}

// Assignment quality of `labels` for centroids `c`, in float64 on the device: the worst gap between
// a point's distance to its centroid and to its nearest one, normalised by |x|·max|c| (the bf16
// rounding of one operand moves x·c by at most 2^-9 of that), and how often the labels equal the
// float64 argmin.
struct AssignmentQuality {
  bool inRange = false;
  double maxGap = 0;
  double maxNormalisedGap = 0;
  double argminAgreement = 0;
};

AssignmentQuality assignmentQuality(const at::Tensor& x, const at::Tensor& c,
                                    const at::Tensor& labels) {
  AssignmentQuality q;
  const int64_t H = x.size(0), C = c.size(1);
  q.inRange = labels.min().item<int64_t>() >= 0 && labels.max().item<int64_t>() < C;
  if (!q.inRange) return q;
  int64_t agree = 0;
  for (int64_t h = 0; h < H; ++h) {
    const at::Tensor xd = x[h].to(at::kDouble), cd = c[h].to(at::kDouble);
    const at::Tensor dist = xd.pow(2).sum(-1, true) + cd.pow(2).sum(-1).unsqueeze(0) -
                            2 * at::mm(xd, cd.transpose(0, 1));
    const at::Tensor nearest = std::get<0>(dist.min(-1));
    const at::Tensor ours = dist.gather(1, labels[h].unsqueeze(1)).squeeze(1);
    const at::Tensor gap = (ours - nearest).clamp_min(0);
    const double cMax = cd.pow(2).sum(-1).sqrt().max().item<double>();
    const at::Tensor xNorm = xd.pow(2).sum(-1).sqrt();
    const at::Tensor scale = xNorm * cMax + 1e-3 * (xNorm.pow(2) + cMax * cMax) + 1e-30;
    q.maxGap = std::max(q.maxGap, gap.max().item<double>());
    q.maxNormalisedGap = std::max(q.maxNormalisedGap, (gap / scale).max().item<double>());
    agree += dist.argmin(-1).eq(labels[h]).sum().item<int64_t>();
  }
  q.argminAgreement = static_cast<double>(agree) / static_cast<double>(labels.numel());
  return q;
}

// bf16 rounds each operand by at most 2^-9: twice that per distance, for the chosen and the
// nearest centroid; float32 points are rounded too.
double assignmentTolerance(const at::Tensor& x) {
  return x.scalar_type() == at::kBFloat16 ? std::ldexp(1.0, -7) : std::ldexp(1.0, -6);
}

KernelCheck checkAssignment(const std::string& input, const at::Tensor& x, const at::Tensor& c) {
  KernelCheck k;
  k.kernel = "kmeans_assign";
  k.input = input;
  const int H = static_cast<int>(x.size(0)), D = static_cast<int>(x.size(2));
  const int C = static_cast<int>(c.size(1));
  const int64_t n = x.size(1);
  const at::Tensor cf = c.to(at::kFloat).contiguous();
  const at::Tensor cb = at::empty({H, C, D}, cf.options().dtype(at::kBFloat16));
  const at::Tensor norms = at::empty({H, C}, cf.options());
  at::Tensor labels = at::full({H, n}, -1, x.options().dtype(at::kLong));
  at::Tensor changed = at::zeros({1}, x.options().dtype(at::kInt));
  const auto type = x.scalar_type() == at::kBFloat16 ? kernels::PointType::kBFloat16
                                                     : kernels::PointType::kFloat32;
  const at::Tensor xc = x.contiguous();
  auto assign = [&](int32_t* counter) {
    kernels::kmeansAssign(xc.data_ptr(), type, H, n, D, static_cast<const uint16_t*>(cb.data_ptr()),
                          norms.data_ptr<float>(), C, labels.data_ptr<int64_t>(), counter, nullptr);
  };
  kernels::kmeansPrepareCentroids(cf.data_ptr<float>(), H, C, D,
                                  static_cast<uint16_t*>(cb.data_ptr()), norms.data_ptr<float>(),
                                  nullptr);
  assign(nullptr);
  const at::Tensor first = labels.clone();
  // The change counter: zero for the same centroids, every point after shifting every label.
  assign(changed.data_ptr<int32_t>());
  const int64_t same = changed.item<int>();
  const bool repeatable = at::equal(first, labels);
  int64_t moved = 0;
  if (C > 1) {
    labels.copy_((first + 1).remainder(C));
    changed.zero_();
    assign(changed.data_ptr<int32_t>());
    moved = changed.item<int>();
  }
  const AssignmentQuality q = assignmentQuality(x, cf, labels);
  k.maxAbsError = q.maxGap;
  k.relError = q.maxNormalisedGap;
  k.tolerance = assignmentTolerance(x);
  const bool counterOk = same == 0 && (C == 1 || moved == H * n);
  k.passed = q.inRange && repeatable && counterOk && q.maxNormalisedGap <= k.tolerance;
  std::ostringstream note;
  if (!q.inRange) note << "labels outside [0, C); ";
  if (!repeatable) note << "a second pass gave other labels; ";
  if (!counterOk)
    note << "change counter " << same << " (want 0) and " << moved << " (want " << H * n << "); ";
  note << "relError = worst distance gap / (|x|·max|c|); labels = float64 argmin for "
       << q.argminAgreement * 100 << "% of points";
  k.note = note.str();
  return k;
}

// Duplicate centroids tie exactly: argmin semantics give the first, never the later copy.
KernelCheck checkAssignmentTies(const c10::Device& device) {
  KernelCheck k;
  k.kernel = "kmeans_assign";
  k.input = "2x777x128 bf16, 130 centroids where 65..129 repeat 0..64 (exact ties)";
  const at::Tensor x = randomPoints(2, 777, 128, at::kBFloat16, device);
  const at::Tensor half = at::randn({2, 65, 128}).to(device);
  const at::Tensor c = at::cat({half, half}, 1).contiguous();
  KernelCheck base = checkAssignment(k.input, x, c);
  const at::Tensor cb = at::empty({2, 130, 128}, c.options().dtype(at::kBFloat16));
  const at::Tensor norms = at::empty({2, 130}, c.options());
  const at::Tensor labels = at::empty({2, 777}, x.options().dtype(at::kLong));
  kernels::kmeansPrepareCentroids(c.data_ptr<float>(), 2, 130, 128,
                                  static_cast<uint16_t*>(cb.data_ptr()), norms.data_ptr<float>(),
                                  nullptr);
  kernels::kmeansAssign(x.data_ptr(), kernels::PointType::kBFloat16, 2, 777, 128,
                        static_cast<const uint16_t*>(cb.data_ptr()), norms.data_ptr<float>(), 130,
                        labels.data_ptr<int64_t>(), nullptr, nullptr);
  const int64_t later = labels.ge(65).sum().item<int64_t>();
  k.maxAbsError = static_cast<double>(later);
  k.relError = base.relError;
  k.tolerance = 0;
  k.passed = base.passed && later == 0;
  k.note = std::to_string(later) + " points took the later copy of a tied centroid (want 0); " +
           base.note;
  return k;
}

// Float64 mean of each cluster's points under `labels`, and the cluster sizes.
std::pair<at::Tensor, at::Tensor> clusterMeans(const at::Tensor& x, const at::Tensor& labels,
                                               int64_t C) {
  const int64_t H = x.size(0), n = x.size(1), D = x.size(2);
  const at::Tensor flat =
      (labels + (at::arange(H, labels.options()) * C).unsqueeze(1)).reshape({H * n});
  const at::Tensor sums = at::zeros({H * C, D}, x.options().dtype(at::kDouble))
                              .index_add_(0, flat, x.reshape({H * n, D}).to(at::kDouble))
                              .view({H, C, D});
  const at::Tensor sizes = clusterSizes(labels, static_cast<int>(C));
  return {sums / sizes.unsqueeze(-1).to(at::kDouble).clamp_min(1), sizes};
}

double objective(const at::Tensor& x, const Clustering& c) {
  const at::Tensor picked =
      c.centroids.to(at::kDouble)
          .gather(1, c.labels.unsqueeze(-1).expand({x.size(0), x.size(1), x.size(2)}));
  return (x.to(at::kDouble) - picked).pow(2).sum().item<double>();
}

// kmeans() (the kernels) against kmeansReference() from the same start. One pass: the labels are
// the assignment to the start, so they are checked like the assignment kernel and an empty cluster
// must still hold its start. More passes: the two may part at a near-tie, so the objectives are
// compared instead.
KernelCheck checkKmeans(const std::string& input, const at::Tensor& x, int C, int iterations,
                        const at::Tensor& init) {
  KernelCheck k;
  k.kernel = "kmeans";
  k.input = input;
  const int64_t H = x.size(0), n = x.size(1);
  const Clustering ours = kmeans(x, C, iterations, init);
  const Clustering ref = kmeansReference(x, C, iterations, init);
  std::ostringstream note;
  bool ok = ours.labels.scalar_type() == at::kLong && ours.sizes.scalar_type() == at::kLong &&
            ours.centroids.scalar_type() == at::kFloat &&
            ours.labels.sizes() == ref.labels.sizes() && ours.sizes.sizes() == ref.sizes.sizes() &&
            ours.centroids.sizes() == ref.centroids.sizes();
  if (!ok) {
    k.note = "types or shapes differ from the reference";
    return k;
  }
  const bool inRange =
      ours.labels.min().item<int64_t>() >= 0 && ours.labels.max().item<int64_t>() < C;
  if (!inRange) {
    k.note = "labels outside [0, C)";
    return k;
  }
  const auto [means, sizes] = clusterMeans(x, ours.labels, C);
  const bool sizesOk = at::equal(sizes, ours.sizes) && (sizes.sum(1) == n).all().item<bool>();
  if (!sizesOk) note << "sizes are not the label counts; ";
  const at::Tensor nonEmpty = sizes.gt(0).unsqueeze(-1);
  const double meanErr =
      at::where(nonEmpty, (ours.centroids.to(at::kDouble) - means).abs(), at::zeros_like(means))
          .max()
          .item<double>();
  const double xMax = x.abs().max().item<double>();
  // float32 sums (atomics, any order) of up to n points: far below this unless a mean is wrong.
  const double meanTol = 1e-4 * std::max(1.0, xMax);
  if (meanErr > meanTol) note << "a centroid is not the mean of its points (" << meanErr << "); ";
  ok = sizesOk && meanErr <= meanTol;

  const double objOurs = objective(x, ours), objRef = objective(x, ref);
  k.maxAbsError = meanErr;
  k.relError = objRef > 0 ? std::abs(objOurs - objRef) / objRef : std::abs(objOurs - objRef);
  const int64_t sameLabels = ours.labels.eq(ref.labels).sum().item<int64_t>();
  if (iterations <= 1) {
    // The start the pass assigned to: the warm start, or the evenly spaced tokens.
    const at::Tensor start = init.defined()
                                 ? init.to(x.device(), at::kFloat)
                                 : x.to(at::kFloat)
                                       .index_select(1, ((at::arange(C, at::kDouble) + 0.5) *
                                                         (static_cast<double>(n) / C))
                                                            .floor()
                                                            .clamp(0, n - 1)
                                                            .to(at::kLong)
                                                            .to(x.device()));
    const AssignmentQuality q = assignmentQuality(x, start, ours.labels);
    const bool emptyKept = at::equal(at::where(nonEmpty, start, ours.centroids), start);
    if (!emptyKept) note << "an empty cluster moved; ";
    k.tolerance = assignmentTolerance(x);
    k.relError = q.maxNormalisedGap;
    ok = ok && emptyKept && q.maxNormalisedGap <= k.tolerance;
    note << "relError = worst assignment gap to the start / (|x|·max|c|); ";
  } else {
    // Parting at a near-tie leads to another local optimum, rarely a much worse one.
    k.tolerance = 0.05;
    const double energy = x.to(at::kDouble).pow(2).sum().item<double>();
    ok = ok && (objOurs <= objRef * (1 + k.tolerance) + 1e-7 * energy);
    note << "relError = |objective − reference| / reference (ours " << objOurs << ", reference "
         << objRef << "; ours must not be worse by more than the tolerance); ";
  }
  note << "labels equal to the reference's for " << 100.0 * sameLabels / (H * n) << "%";
  k.passed = ok;
  k.note = note.str();
  return k;
}

KernelCheck checkLayout(const std::string& input, const at::Tensor& labels, int C) {
  KernelCheck k;
  k.kernel = "cluster_layout";
  k.input = input;
  const ClusterLayout ours = clusterLayout(labels, C);
  const ClusterLayout ref = clusterLayoutReference(labels, C);
  const at::Tensor a = ours.perm.to(at::kCPU), b = ref.perm.to(at::kCPU);
  const bool permSame =
      a.sizes() == b.sizes() && a.scalar_type() == b.scalar_type() && at::equal(a, b);
  int64_t startsDiffer = static_cast<int64_t>(ours.starts.size() != ref.starts.size());
  for (size_t i = 0; i < std::min(ours.starts.size(), ref.starts.size()); ++i)
    startsDiffer += ours.starts[i] != ref.starts[i];
  k.maxAbsError = a.sizes() == b.sizes() ? (a - b).abs().max().item<double>()
                                         : static_cast<double>(labels.numel());
  k.relError = static_cast<double>(startsDiffer);
  k.tolerance = 0;
  k.passed = permSame && startsDiffer == 0;
  k.note = "maxAbs = largest difference of perm entries, rel = starts that differ (" +
           std::to_string(startsDiffer) + ")";
  return k;
}

std::vector<std::vector<int32_t>> rowsOf(const BlockSparsePlan& p, int skip) {
  std::vector<std::vector<int32_t>> rows;
  for (size_t r = skip; r + 1 < p.offsets.size(); ++r)
    rows.emplace_back(p.keyBlocks.begin() + p.offsets[r], p.keyBlocks.begin() + p.offsets[r + 1]);
  return rows;
}

// Whether a cluster the two disagree on sits where float32 rounding decides: its kept-before
// weight within 1e-5 of topP, or its weight within 1e-5 (relative) of another cluster's (the sort
// order between them, and so rank and keys kept before, can go either way).
bool nearBoundary(const std::vector<double>& probs, int cluster, double topP) {
  std::vector<int> order(probs.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](int a, int b) { return probs[a] > probs[b]; });
  double before = 0;
  for (size_t r = 0; r < order.size(); ++r) {
    if (order[r] == cluster) {
      if (std::abs(before - topP) <= 1e-5) return true;
      const double p = probs[cluster];
      for (size_t s : {r - 1, r + 1})
        if (s < order.size() && std::abs(probs[order[s]] - p) <= 1e-5 * p) return true;
      return false;
    }
    before += probs[order[r]];
  }
  return false;
}

// appendTopPRows / appendBudgetRows (kernel) against their references on the same logits. Both
// plans start with one row already in them, so the kernel's offsets must continue from it.
KernelCheck checkSelection(const std::string& input, const at::Tensor& logits, double topP,
                           int minKeep, const at::Tensor& keySizes, double fraction) {
  KernelCheck k;
  k.kernel = keySizes.defined() ? "cluster_selection_budget" : "cluster_selection_top_p";
  k.input = input;
  const int64_t H = logits.size(0), cq = logits.size(1), ck = logits.size(2);
  auto fresh = [&] {
    BlockSparsePlan p;
    p.heads = H;
    p.numQueryBlocks = static_cast<int>(cq);
    p.numKeyBlocks = static_cast<int>(ck);
    p.appendRow({0, 1});
    return p;
  };
  BlockSparsePlan ours = fresh(), ref = fresh();
  if (keySizes.defined()) {
    appendBudgetRows(ours, logits, keySizes, topP, fraction);
    appendBudgetRowsReference(ref, logits, keySizes, topP, fraction);
  } else {
    appendTopPRows(ours, logits, topP, minKeep);
    appendTopPRowsReference(ref, logits, topP, minKeep);
  }
  const auto a = rowsOf(ours, 1), b = rowsOf(ref, 1);
  const at::Tensor lg = logits.to(at::kCPU, at::kDouble).contiguous();
  const double* lp = lg.data_ptr<double>();
  int64_t identical = 0, explained = 0, unexplained = 0, malformed = 0;
  bool shapeOk = a.size() == b.size() && static_cast<int64_t>(a.size()) == H * cq &&
                 ours.offsets.size() == ref.offsets.size() && ours.keyBlocks.size() >= 2;
  for (size_t r = 0; shapeOk && r < a.size(); ++r) {
    const double* row = lp + r * ck;
    for (size_t e = 0; e < a[r].size(); ++e)
      if (a[r][e] < 0 || a[r][e] >= ck || (e > 0 && a[r][e] <= a[r][e - 1]) ||
          !std::isfinite(row[a[r][e]]))
        ++malformed;
    if (a[r] == b[r]) {
      ++identical;
      continue;
    }
    // Float64 softmax of the row (no weight anywhere if ATen's would be NaN).
    double mx = -INFINITY;
    bool bad = false;
    for (int64_t j = 0; j < ck; ++j) {
      bad = bad || std::isnan(row[j]);
      mx = std::max(mx, row[j]);
    }
    bad = bad || !std::isfinite(mx);
    std::vector<double> probs(ck, 0.0);
    double sum = 0;
    for (int64_t j = 0; !bad && j < ck; ++j) sum += probs[j] = std::exp(row[j] - mx);
    for (double& p : probs) p = bad ? 0.0 : p / sum;
    std::vector<int32_t> diff;
    std::set_symmetric_difference(a[r].begin(), a[r].end(), b[r].begin(), b[r].end(),
                                  std::back_inserter(diff));
    for (int32_t j : diff) (nearBoundary(probs, j, topP) ? explained : unexplained) += 1;
  }
  k.maxAbsError = static_cast<double>(unexplained + malformed);
  k.relError = a.empty() ? 0.0 : 1.0 - static_cast<double>(identical) / a.size();
  k.tolerance = 0;
  k.passed = shapeOk && unexplained == 0 && malformed == 0;
  std::ostringstream note;
  if (!shapeOk) note << "row count or offsets differ from the reference; ";
  note << identical << " of " << a.size() << " rows identical; " << explained
       << " differing clusters at a float32 rounding boundary (allowed), " << unexplained
       << " elsewhere, " << malformed
       << " entries out of order/range or empty; maxAbs counts the last two, rel = rows not "
          "identical";
  k.note = note.str();
  return k;
}

at::Tensor randomLogits(int64_t H, int64_t cq, int64_t ck, double emptyFraction,
                        const c10::Device& device, at::Tensor* sizesOut) {
  const at::Tensor qc = at::randn({H, cq, 64}).to(device), kc = at::randn({H, ck, 64}).to(device);
  at::Tensor sizes = at::randint(1, 300, {H, ck}, at::kLong);
  sizes = at::where(at::rand({H, ck}).lt(emptyFraction), at::zeros_like(sizes), sizes).to(device);
  if (sizesOut != nullptr) *sizesOut = sizes;
  return centroidLogits(qc, kc, sizes);
}

// The whole chain on the kernels: k-means of q and k, layouts, selection; the plan must be well
// formed (complete, orders are permutations, clusters contiguous, rows ascending).
KernelCheck checkPlan(const c10::Device& device) {
  KernelCheck k;
  k.kernel = "clustered_plan";
  const int64_t H = 4, L = 3000, D = 128;
  const int cq = 48, ck = 160;
  k.input = "q, k 4x3000x128 bf16, Cq 48, Ck 160, 10 k-means passes, top-p 0.9, min 16";
  const at::Tensor q = randomPoints(H, L, D, at::kBFloat16, device);
  const at::Tensor kk = randomPoints(H, L, D, at::kBFloat16, device);
  const Clustering qc = kmeans(q, cq, 10), kc = kmeans(kk, ck, 10);
  const ClusterLayout ql = clusterLayout(qc.labels, cq), kl = clusterLayout(kc.labels, ck);
  BlockSparsePlan plan;
  plan.heads = H;
  plan.queryLen = plan.keyLen = L;
  plan.numQueryBlocks = cq;
  plan.numKeyBlocks = ck;
  plan.queryStarts = ql.starts;
  plan.keyStarts = kl.starts;
  plan.queryOrder = orderOf(ql.perm);
  plan.keyOrder = orderOf(kl.perm);
  appendTopPRows(plan, centroidLogits(qc.centroids, kc.centroids, kc.sizes), 0.9, 16);
  std::ostringstream problems;
  if (!plan.complete()) problems << "plan incomplete; ";
  auto isPermutation = [&](const std::vector<int32_t>& order) {
    for (int64_t h = 0; h < H; ++h) {
      std::vector<int32_t> v(order.begin() + h * L, order.begin() + (h + 1) * L);
      std::sort(v.begin(), v.end());
      for (int64_t i = 0; i < L; ++i)
        if (v[i] != i) return false;
    }
    return true;
  };
  if (!isPermutation(plan.queryOrder) || !isPermutation(plan.keyOrder))
    problems << "an order is not a permutation; ";
  const at::Tensor qLabels = qc.labels.to(at::kCPU).contiguous();
  const auto labelOf = qLabels.accessor<int64_t, 2>();
  auto contiguousClusters = [&] {
    for (int64_t h = 0; h < H; ++h)
      for (int c = 0; c < cq; ++c)
        for (int32_t i = ql.starts[h * (cq + 1) + c]; i < ql.starts[h * (cq + 1) + c + 1]; ++i)
          if (labelOf[h][plan.queryOrder[h * L + i]] != c) return false;
    return true;
  };
  if (plan.complete() && isPermutation(plan.queryOrder) && !contiguousClusters())
    problems << "a query cluster is not contiguous; ";
  for (size_t r = 0; r + 1 < plan.offsets.size(); ++r)
    for (int32_t e = plan.offsets[r] + 1; e < plan.offsets[r + 1]; ++e)
      if (plan.keyBlocks[e] <= plan.keyBlocks[e - 1]) problems << "row " << r << " unsorted; ";
  k.relError = plan.complete() ? plan.density() : 0.0;
  k.passed = problems.str().empty();
  k.note = problems.str() + "rel = the plan's density (" + std::to_string(k.relError) + ")";
  return k;
}

}  // namespace

std::vector<KernelCheck> selftestKmeans(const SelftestOptions& options) {
  if (!options.device.is_cuda()) return {};
  std::vector<KernelCheck> out;
  if (!kernels::cudaKernelsCompiled()) {
    KernelCheck k;
    k.kernel = "kmeans";
    k.note = "this build has no CUDA kernels (configured without nvcc)";
    out.push_back(k);
    return out;
  }
  at::manual_seed(options.seed);
  const c10::Device dev = options.device;
  auto guarded = [&](const std::string& kernel, const std::string& input, auto&& check) {
    try {
      out.push_back(check());
    } catch (const std::exception& e) {
      KernelCheck k;
      k.kernel = kernel;
      k.input = input;
      k.note = std::string("threw: ") + e.what();
      out.push_back(k);
    }
  };

  // Assignment: shapes off the tile sizes (128 points, 64 centroids), both point types.
  struct AssignCase {
    int64_t H, n, D;
    int C;
    at::ScalarType type;
  };
  std::vector<AssignCase> assignCases = {{1, 1000, 64, 37, at::kBFloat16},
                                         {12, 2049, 128, 300, at::kBFloat16},
                                         {3, 129, 128, 1000, at::kBFloat16},
                                         {2, 511, 64, 65, at::kFloat},
                                         {1, 77, 32, 1, at::kBFloat16}};
  if (!options.quick) assignCases.push_back({12, 9000, 128, 1000, at::kBFloat16});
  for (const AssignCase& c : assignCases) {
    const std::string input = std::to_string(c.H) + "x" + std::to_string(c.n) + "x" +
                              std::to_string(c.D) + " " + (c.type == at::kFloat ? "fp32" : "bf16") +
                              ", " + std::to_string(c.C) + " random centroids";
    guarded("kmeans_assign", input, [&] {
      const at::Tensor x = randomPoints(c.H, c.n, c.D, c.type, dev);
      const at::Tensor cents = at::randn({c.H, c.C, c.D}).to(dev) * 0.7;
      return checkAssignment(input, x, cents);
    });
  }
  guarded("kmeans_assign", "exact ties", [&] { return checkAssignmentTies(dev); });
  guarded("kmeans_assign", "centroids = some of the points", [&] {
    const at::Tensor x = randomPoints(2, 640, 128, at::kBFloat16, dev);
    const at::Tensor cents = x.index_select(1, at::arange(0, 640, 7, at::kLong).to(dev));
    return checkAssignment("2x640x128 bf16, centroids = every 7th point (distance 0)", x,
                           cents.to(at::kFloat));
  });

  // The driver, against the ATen k-means from the same start.
  struct KmeansCase {
    std::string what;
    int64_t H, n, D;
    int C, iterations;
    at::ScalarType type;
    int distinct;  // 0: all random; else only this many distinct points
  };
  std::vector<KmeansCase> kmeansCases = {
      {"random", 1, 1000, 64, 37, 1, at::kBFloat16, 0},
      {"random", 12, 2049, 128, 100, 1, at::kBFloat16, 0},
      {"random", 12, 2049, 128, 100, 10, at::kBFloat16, 0},
      {"random, fp32 points", 2, 700, 64, 50, 3, at::kFloat, 0},
      {"one cluster", 3, 333, 128, 1, 5, at::kBFloat16, 0},
      {"one token per cluster (C = n)", 2, 200, 64, 200, 1, at::kBFloat16, 0},
      {"C > distinct points (duplicates, empty clusters)", 2, 300, 128, 16, 1, at::kBFloat16, 5},
      {"C > distinct points (duplicates, empty clusters)", 2, 300, 128, 16, 4, at::kBFloat16, 5},
  };
  if (!options.quick)
    kmeansCases.push_back({"random, Wan-like C", 12, 12000, 128, 1000, 5, at::kBFloat16, 0});
  for (const KmeansCase& c : kmeansCases) {
    const std::string input = std::to_string(c.H) + "x" + std::to_string(c.n) + "x" +
                              std::to_string(c.D) + " " + (c.type == at::kFloat ? "fp32" : "bf16") +
                              ", C " + std::to_string(c.C) + ", " + std::to_string(c.iterations) +
                              " passes from evenly spaced tokens, " + c.what;
    guarded("kmeans", input, [&] {
      at::Tensor x = randomPoints(c.H, c.n, c.D, c.type, dev);
      if (c.distinct > 0)
        x = x.index_select(1, at::arange(c.n, at::kLong).remainder(c.distinct).to(dev))
                .contiguous();
      return checkKmeans(input, x, c.C, c.iterations, at::Tensor());
    });
  }
  for (int iterations : {1, 2}) {
    const std::string input =
        "12x3001x128 bf16, C 200, warm start (converged centroids of "
        "slightly different points), " +
        std::to_string(iterations) + " passes";
    guarded("kmeans", input, [&] {
      const at::Tensor x0 = randomPoints(12, 3001, 128, at::kBFloat16, dev);
      const at::Tensor x1 =
          (x0.to(at::kFloat) + 0.05 * at::randn(x0.sizes()).to(dev)).to(at::kBFloat16);
      const Clustering seed = kmeansReference(x0, 200, 20);
      return checkKmeans(input, x1, 200, iterations, seed.centroids);
    });
  }

  // Layout: exact.
  struct LayoutCase {
    std::string what;
    int64_t H, n;
    int C;
  };
  std::vector<LayoutCase> layoutCases = {
      {"random labels", 12, 75600, 1000},    {"random labels, some clusters empty", 3, 2049, 300},
      {"one cluster", 2, 1500, 1},           {"one token", 4, 1, 7},
      {"every label the same", 2, 5000, 64}, {"labels descending", 1, 3000, 3000}};
  for (const LayoutCase& c : layoutCases) {
    const std::string input = std::to_string(c.H) + "x" + std::to_string(c.n) + ", C " +
                              std::to_string(c.C) + ", " + c.what;
    guarded("cluster_layout", input, [&] {
      at::Tensor labels;
      if (c.what == "every label the same")
        labels = at::full({c.H, c.n}, c.C - 1, at::kLong);
      else if (c.what == "labels descending")
        labels =
            (c.C - 1 - at::arange(c.n, at::kLong).remainder(c.C)).unsqueeze(0).repeat({c.H, 1});
      else if (c.what == "random labels, some clusters empty")
        labels = at::randint(0, c.C / 2, {c.H, c.n}, at::kLong) * 2;
      else
        labels = at::randint(0, c.C, {c.H, c.n}, at::kLong);
      return checkLayout(input, labels.to(dev), c.C);
    });
  }

  // Selection: the same logits to both.
  struct SelectCase {
    std::string what;
    int64_t H, cq, ck;
    double emptyFraction, topP;
    int minKeep;
    double fraction;  // > 0: the budget rule
  };
  const std::vector<SelectCase> selectCases = {
      {"Wan 720p top-p", 12, 300, 1000, 0.05, 0.9, 100, 0},
      {"top-p 0.5, no minimum", 2, 64, 37, 0.2, 0.5, 0, 0},
      {"top-p 1 keeps every non-empty cluster", 2, 16, 200, 0.3, 1.0, 0, 0},
      {"minimum above the cluster count", 2, 16, 50, 0.5, 0.3, 80, 0},
      {"most clusters empty", 2, 16, 300, 0.97, 0.9, 30, 0},
      {"Ck 4096 (largest on the kernel)", 1, 8, 4096, 0.1, 0.9, 10, 0},
      {"SVOO budget 0.15", 12, 256, 1024, 0.05, 0.9, 0, 0.15},
      {"SVOO budget 0.6, top-p 0.3", 2, 32, 100, 0.2, 0.3, 0, 0.6},
  };
  for (const SelectCase& c : selectCases) {
    const std::string input = std::to_string(c.H) + "x" + std::to_string(c.cq) + "x" +
                              std::to_string(c.ck) + " logits, " + c.what;
    guarded("cluster_selection", input, [&] {
      at::Tensor sizes;
      const at::Tensor logits = randomLogits(c.H, c.cq, c.ck, c.emptyFraction, dev, &sizes);
      return checkSelection(input, logits, c.topP, c.minKeep, c.fraction > 0 ? sizes : at::Tensor(),
                            c.fraction);
    });
  }
  guarded("cluster_selection", "a head with every key cluster empty", [&] {
    at::Tensor sizes;
    at::Tensor logits = randomLogits(2, 8, 40, 0.1, dev, &sizes);
    logits.select(0, 1).fill_(-INFINITY);
    return checkSelection("2x8x40 logits, head 1 all −inf (every key cluster empty)", logits, 0.9,
                          4, at::Tensor(), 0);
  });
  guarded("clustered_plan", "whole chain", [&] { return checkPlan(dev); });
  return out;
}

}  // namespace svgen
