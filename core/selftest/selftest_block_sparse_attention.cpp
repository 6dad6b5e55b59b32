// Block-sparse attention against the masked-softmax reference: on CUDA the bf16 kernel (both
// query tiles, head dims 64 and 128), on the CPU the float32 tiled kernel.
#include "core/attention/block_sparse.h"
#include "core/attention/random_plans.h"
#include "core/selftest/kernel_selftest.h"

#include <ATen/ATen.h>

#include <cstdio>
#include <limits>
#include <string>

namespace svgen {

namespace {

struct Case {
  std::string name;
  RandomPlanSpec plan;
  int headDim = 128;
  int queryTile = 0;       // CUDA: 0 = the kernel's choice
  double scaleInputs = 1;  // large magnitudes stress the online softmax
  kernels::BlockSparseVariant variant = kernels::BlockSparseVariant::Auto;
};

std::vector<Case> cases(bool cuda, bool quick) {
  auto spec = [](int64_t heads, int64_t len, int qb, int kb, bool uniform, bool permute,
                 double density, double emptyRows, uint64_t seed) {
    RandomPlanSpec s;
    s.heads = heads;
    s.queryLen = s.keyLen = len;
    s.queryBlocks = qb;
    s.keyBlocks = kb;
    s.uniform = uniform;
    s.permute = permute;
    s.density = density;
    s.emptyRows = emptyRows;
    s.seed = seed;
    return s;
  };
  std::vector<Case> c;
  c.push_back({"SVG-like: 64-token blocks, L=1000 (partial block)",
               spec(3, 1000, 16, 16, true, false, 0.3, 0, 1), 128});
  c.push_back({"layout transform: 128-token blocks + orders, L=2047",
               spec(2, 2047, 16, 16, true, true, 0.25, 0, 2), 128});
  c.push_back({"clusters: random sizes (empty, 1-token), orders, empty rows",
               spec(4, 3001, 40, 150, false, true, 0.2, 0.1, 3), 128});
  c.push_back({"clusters, head dim 64", spec(4, 3001, 40, 150, false, true, 0.2, 0.1, 4), 64});
  c.push_back(
      {"every block kept (dense), L=4096", spec(2, 4096, 32, 64, false, true, 1.0, 0, 5), 128});
  c.push_back({"one token", spec(1, 1, 1, 1, true, false, 1.0, 0, 6), 64});
  c.push_back({"long rows: one query block, all 8192 keys",
               spec(2, 8192, 1, 7, false, true, 1.0, 0, 7), 128});
  c.push_back({"large logits (x8 inputs), clusters", spec(2, 2000, 20, 60, false, true, 0.3, 0, 8),
               128, 0, 8.0});
  if (cuda) {
    c.push_back({"query tile 64 forced, 128-token blocks",
                 spec(2, 2047, 16, 16, true, true, 0.25, 0, 2), 128, 64});
    c.push_back({"query tile 128 forced, small clusters",
                 spec(4, 3001, 200, 150, false, true, 0.2, 0.1, 9), 64, 128});
    c.push_back({"query tile 128 forced, head dim 64, L=5000",
                 spec(3, 5000, 30, 80, false, true, 0.3, 0, 10), 64, 128});
  }
  if (quick) c.resize(4);
  if (cuda) {
    // Every head-dim-128 case once more on each compute path at each query tile: Auto picks
    // wgmma (one warpgroup at tile 64, two at 128) when the build has it, mma.sync otherwise.
    const size_t n = c.size();
    for (size_t i = 0; i < n; ++i) {
      if (c[i].headDim != 128) continue;
      for (int tile : {64, 128}) {
        Case m = c[i];
        m.variant = kernels::BlockSparseVariant::MmaSync;
        m.queryTile = tile;
        m.name += " (mma.sync, tile " + std::to_string(tile) + ")";
        c.push_back(m);
        if (kernels::blockSparseHasWgmma()) {
          Case w = c[i];
          w.variant = kernels::BlockSparseVariant::Wgmma;
          w.queryTile = tile;
          w.name += " (wgmma, tile " + std::to_string(tile) + ")";
          c.push_back(w);
        }
      }
    }
  }
  return c;
}

std::string shapeOf(const Case& c, const BlockSparsePlan& plan) {
  char buf[160];
  std::snprintf(buf, sizeof buf, " [h=%lld L=%lld d=%d dens=%.2f%s]",
                static_cast<long long>(plan.heads), static_cast<long long>(plan.queryLen),
                c.headDim, plan.density(),
                c.queryTile ? (" tile=" + std::to_string(c.queryTile)).c_str() : "");
  return c.name + buf;
}

}  // namespace

std::vector<KernelCheck> selftestBlockSparseAttention(const SelftestOptions& o) {
  const bool cuda = o.device.is_cuda();
  std::vector<KernelCheck> checks;
  at::manual_seed(o.seed);
  for (const Case& c : cases(cuda, o.quick)) {
    KernelCheck check;
    check.kernel = cuda ? "block_sparse_attention" : "block_sparse_attention_cpu";
    BlockSparsePlan plan;
    try {
      RandomPlanSpec spec = c.plan;
      spec.seed += o.seed;
      plan = randomPlan(spec);
      check.input = shapeOf(c, plan);
      const auto opts = at::TensorOptions().device(o.device).dtype(at::kFloat);
      auto draw = [&](int64_t len) {
        return at::randn({plan.heads, len, c.headDim}, opts) * c.scaleInputs;
      };
      at::Tensor q = draw(plan.queryLen), k = draw(plan.keyLen), v = at::randn_like(q);
      if (cuda) {
        q = q.to(at::kBFloat16);
        k = k.to(at::kBFloat16);
        v = v.to(at::kBFloat16);
        at::Tensor out = at::full_like(q, std::numeric_limits<float>::quiet_NaN());
        int64_t counted = -1;
        BlockSparseCudaOptions run;
        run.queryTile = c.queryTile;
        run.variant = c.variant;
        run.scoresCounted = &counted;
        run.out = out;
        blockSparseAttentionCuda(q, k, v, plan, run);
        const at::Tensor ref =
            blockSparseReference(q.to(at::kFloat), k.to(at::kFloat), v.to(at::kFloat), plan);
        const ErrorPair e = compareTensors(out, ref);
        check.maxAbsError = e.maxAbs;
        check.relError = e.rel;
        check.tolerance = 1.5e-2;  // bf16 inputs, P and output rounded to bf16
        const int64_t expected = plan.scoresComputed();
        check.passed = e.rel <= check.tolerance && counted == expected;
        check.note = counted == expected ? "density counted by the kernel matches the plan"
                                         : "kernel counted " + std::to_string(counted) +
                                               " scores, plan has " + std::to_string(expected);
      } else {
        const at::Tensor out = blockSparseAttention(q, k, v, plan);
        const at::Tensor ref =
            blockSparseReference(q.to(at::kDouble), k.to(at::kDouble), v.to(at::kDouble), plan);
        const ErrorPair e = compareTensors(out, ref);
        check.maxAbsError = e.maxAbs;
        check.relError = e.rel;
        check.tolerance = 1e-4;
        check.passed = e.rel <= check.tolerance;
      }
    } catch (const std::exception& e) {
      if (check.input.empty()) check.input = c.name;
      check.passed = false;
      check.note = std::string("threw: ") + e.what();
    }
    checks.push_back(check);
  }
  return checks;
}

}  // namespace svgen
