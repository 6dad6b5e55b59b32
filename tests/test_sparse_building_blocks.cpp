// The pieces the sparse methods share: SVG's masks and layout transform, k-means, the cluster
// permutation, top-p selection, block-sparse compute against its masked reference, SVOO's table
// and the recorder's JSON.
#include <ATen/ATen.h>

#include "core/attention/attention_recorder.h"
#include "core/attention/block_sparse.h"
#include "core/attention/clustering/cluster_selection.h"
#include "core/attention/clustering/clustering.h"
#include "core/attention/svg/svg_attention.h"
#include "core/attention/svg/svg_masks.h"
#include "core/attention/svoo/svoo_method.h"
#include "core/attention/svoo/svoo_profile.h"
#include "core/attention/svoo/svoo_profiler.h"
#include "core/common/error.h"

#include <cmath>
#include <random>
#include <vector>

#include <QtTest>

using namespace svgen;

namespace {

std::vector<std::vector<int32_t>> rows(const BlockTable& t) {
  std::vector<std::vector<int32_t>> r;
  for (int i = 0; i < t.blocks; ++i) r.push_back(t.row(i));
  return r;
}

using Rows = std::vector<std::vector<int32_t>>;

// k-means written the plain way, one head, for comparison.
std::vector<int64_t> directKmeans(const at::Tensor& x, at::Tensor c, int iterations) {
  const int64_t L = x.size(0), C = c.size(0);
  std::vector<int64_t> labels(L);
  for (int it = 0; it < iterations; ++it) {
    for (int64_t i = 0; i < L; ++i) {
      double best = 1e300;
      for (int64_t j = 0; j < C; ++j) {
        const double d = (x[i] - c[j]).pow(2).sum().item<double>();
        if (d < best) best = d, labels[i] = j;
      }
    }
    at::Tensor next = c.clone();
    for (int64_t j = 0; j < C; ++j) {
      std::vector<int64_t> members;
      for (int64_t i = 0; i < L; ++i)
        if (labels[i] == j) members.push_back(i);
      if (!members.empty()) next[j] = x.index_select(0, at::tensor(members, at::kLong)).mean(0);
    }
    c = next;
  }
  return labels;
}

// Random blocks (7 query, 11 key, some empty) and about a third of the pairs, per head.
BlockSparsePlan randomPlan(std::mt19937& rng, int64_t H, int64_t L) {
  BlockSparsePlan plan;
  plan.heads = H;
  plan.queryLen = plan.keyLen = L;
  plan.numQueryBlocks = 7;
  plan.numKeyBlocks = 11;
  for (int64_t h = 0; h < H; ++h) {
    for (auto* starts : {&plan.queryStarts, &plan.keyStarts}) {
      const int n = starts == &plan.queryStarts ? 7 : 11;
      std::vector<int32_t> cuts{0, static_cast<int32_t>(L)};
      for (int i = 0; i < n - 1; ++i) cuts.push_back(static_cast<int32_t>(rng() % (L + 1)));
      std::sort(cuts.begin(), cuts.end());
      starts->insert(starts->end(), cuts.begin(), cuts.end());
    }
    for (int i = 0; i < 7; ++i) {
      std::vector<int32_t> row;
      for (int j = 0; j < 11; ++j)
        if (rng() % 3 == 0) row.push_back(j);
      plan.appendRow(row);
    }
  }
  return plan;
}

at::Tensor ints(const std::vector<int32_t>& v) {
  return at::tensor(v, at::kInt);
}

std::vector<int32_t> vec(const at::Tensor& t) {
  const at::Tensor c = t.contiguous();
  return {c.data_ptr<int32_t>(), c.data_ptr<int32_t>() + c.numel()};
}

}  // namespace

class TestSparseBuildingBlocks : public QObject {
  Q_OBJECT

 private slots:
  void initTestCase() { at::manual_seed(7); }

  // Grid 4 frames × 1 × 2: S = 2 tokens per frame, blocks of 2 = one frame each.
  void svgMasksMatchHandWorkedGrid() {
    const std::array<int64_t, 3> grid = {4, 1, 2};
    SvgMasks m = svgMasks(grid, 2, 0.5);
    // Band 0: the diagonal plus the first frame (sink): 7 of 16 blocks. Band 1 would keep 12.
    QCOMPARE(m.band, 0);
    QCOMPARE(rows(m.spatial), (Rows{{0}, {0, 1}, {0, 2}, {0, 3}}));
    QCOMPARE(m.spatial.density(), 7.0 / 16);
    QCOMPARE(rows(m.temporal), rows(m.spatial));  // the same table, in position-major order
    m = svgMasks(grid, 2, 0.8);
    QCOMPARE(m.band, 1);
    QCOMPARE(rows(m.spatial), (Rows{{0, 1}, {0, 1, 2}, {0, 1, 2, 3}, {0, 2, 3}}));
    m = svgMasks(grid, 2, 0.3);  // below what the diagonal and sink need: still those
    QCOMPARE(m.band, 0);
    m = svgMasks(grid, 2, 1.0);
    QCOMPARE(m.spatial.density(), 1.0);
    // A partial last block: 3 × 1 × 3 = 9 tokens in blocks of 4 → sizes 4, 4, 1.
    m = svgMasks({3, 1, 3}, 4, 0.3);
    QCOMPARE(m.spatial.blocks, 3);
    QCOMPARE(rows(m.spatial), (Rows{{0}, {0, 1}, {0, 2}}));
    QCOMPARE(m.spatial.density(), (16.0 + 32.0 + 4.0 + 1.0) / 81.0);
    // One frame: every block is the sink, so the mask is dense.
    QCOMPARE(svgMasks({1, 4, 4}, 4, 0.2).spatial.density(), 1.0);
  }

  void temporalPermutationIsPositionMajor() {
    const at::Tensor p = temporalPermutation({4, 1, 2});
    QCOMPARE(std::vector<int64_t>(p.data_ptr<int64_t>(), p.data_ptr<int64_t>() + 8),
             (std::vector<int64_t>{0, 2, 4, 6, 1, 3, 5, 7}));
    const at::Tensor one = temporalPermutation({1, 3, 3});
    QVERIFY(at::equal(one, at::arange(9, at::kLong)));
  }

  void permutationRoundTripsExactly() {
    const at::Tensor x = at::randn({3, 37, 8});
    const at::Tensor perm = at::stack(
        {at::randperm(37, at::kLong), at::randperm(37, at::kLong), at::arange(37, at::kLong)});
    const at::Tensor y = permuteTokens(x, perm);
    QVERIFY(at::equal(y[1][5], x[1][perm[1][5].item<int64_t>()]));
    QVERIFY(at::equal(unpermuteTokens(y, perm), x));
  }

  void clusterLayoutMakesClustersContiguous() {
    const at::Tensor labels = at::tensor({2, 0, 2, 1, 0, 2}, at::kLong).view({1, 6});
    const ClusterLayout l = clusterLayout(labels, 4);
    QCOMPARE(l.starts, (std::vector<int32_t>{0, 2, 3, 6, 6}));  // cluster 3 is empty
    QCOMPARE(std::vector<int64_t>(l.perm.data_ptr<int64_t>(), l.perm.data_ptr<int64_t>() + 6),
             (std::vector<int64_t>{1, 4, 3, 0, 2, 5}));  // stable within a cluster
  }

  void kmeansMatchesDirectImplementation() {
    const at::Tensor x = at::randn({2, 60, 5});
    for (int iterations : {1, 3, 10}) {
      const Clustering c = kmeans(x, 6, iterations);
      for (int h = 0; h < 2; ++h) {
        const at::Tensor init =
            x[h].index_select(0, ((at::arange(6, at::kDouble) + 0.5) * 10).floor().to(at::kLong));
        const auto expected = directKmeans(x[h], init, iterations);
        const at::Tensor got = c.labels[h];
        for (int i = 0; i < 60; ++i) QCOMPARE(got[i].item<int64_t>(), expected[i]);
        QCOMPARE(c.sizes[h].sum().item<int64_t>(), int64_t{60});
      }
    }
  }

  // Centroids from the previous step are a better start than scratch: 2 warm iterations on
  // slightly moved data reach the objective that 50 from scratch reach.
  void kmeansWarmStartConverges() {
    at::Tensor centers = at::randn({1, 8, 16}) * 4;
    at::Tensor assign = at::randint(8, {1, 400}, at::kLong);
    auto data = [&](double noise) {
      return centers.index_select(1, assign[0]) + at::randn({1, 400, 16}) * noise;
    };
    const at::Tensor x0 = data(0.5);
    const Clustering first = kmeans(x0, 8, 50);
    const at::Tensor x1 = x0 + at::randn(x0.sizes()) * 0.05;
    auto objective = [&](const Clustering& c) {
      return (x1[0] - c.centroids[0].index_select(0, c.labels[0])).pow(2).sum().item<double>();
    };
    const double scratch = objective(kmeans(x1, 8, 50));
    const double warm = objective(kmeans(x1, 8, 2, first.centroids));
    QVERIFY2(warm <= scratch * 1.001,
             qPrintable(QString("warm %1 scratch %2").arg(warm).arg(scratch)));
    QVERIFY_EXCEPTION_THROWN(kmeans(x1, 7, 2, first.centroids), std::invalid_argument);
  }

  void topPKeepsAtLeastPOfTheMass() {
    const at::Tensor qc = at::randn({3, 5, 8}), kc = at::randn({3, 20, 8});
    at::Tensor sizes = at::randint(0, 30, {3, 20}, at::kLong);
    const at::Tensor logits = centroidLogits(qc, kc, sizes);
    for (double p : {0.3, 0.7, 0.9, 0.99}) {
      BlockSparsePlan plan;
      plan.heads = 3;
      plan.numQueryBlocks = 5;
      plan.numKeyBlocks = 20;
      appendTopPRows(plan, logits, p, 2);
      QVERIFY(plan.complete());
      const at::Tensor probs = at::softmax(logits, -1);
      for (int r = 0; r < 15; ++r) {
        double kept = 0;
        for (int32_t e = plan.offsets[r]; e < plan.offsets[r + 1]; ++e) {
          kept += probs[r / 5][r % 5][plan.keyBlocks[e]].item<double>();
          QVERIFY(sizes[r / 5][plan.keyBlocks[e]].item<int64_t>() > 0);  // never empty
          if (e > plan.offsets[r]) QVERIFY(plan.keyBlocks[e] > plan.keyBlocks[e - 1]);
        }
        QVERIFY2(kept >= p - 1e-6,
                 qPrintable(QString("row %1 kept %2 < %3").arg(r).arg(kept).arg(p)));
        QVERIFY(plan.offsets[r + 1] - plan.offsets[r] >= 2);
      }
    }
  }

  void budgetRowsKeepTheKeyFraction() {
    const at::Tensor qc = at::randn({2, 4, 8}), kc = at::randn({2, 10, 8});
    const at::Tensor sizes = at::randint(1, 20, {2, 10}, at::kLong);
    BlockSparsePlan plan;
    plan.heads = 2;
    plan.numQueryBlocks = 4;
    plan.numKeyBlocks = 10;
    appendBudgetRows(plan, centroidLogits(qc, kc, sizes), sizes, 0.1, 0.5);
    for (int r = 0; r < 8; ++r) {
      int64_t kept = 0;
      for (int32_t e = plan.offsets[r]; e < plan.offsets[r + 1]; ++e)
        kept += sizes[r / 4][plan.keyBlocks[e]].item<int64_t>();
      QVERIFY(kept >= 0.5 * sizes[r / 4].sum().item<int64_t>());
    }
  }

  void blockSparseKernelMatchesReference() {
    std::mt19937 rng(3);
    const int64_t H = 3, L = 150;
    const BlockSparsePlan plan = randomPlan(rng, H, L);
    const at::Tensor q = at::randn({H, L, 32}), k = at::randn({H, L, 32}),
                     v = at::randn({H, L, 32});
    const at::Tensor fast = blockSparseAttention(q, k, v, plan);
    const at::Tensor ref =
        blockSparseReference(q.to(at::kDouble), k.to(at::kDouble), v.to(at::kDouble), plan);
    QVERIFY((fast.to(at::kDouble) - ref).abs().max().item<double>() < 1e-5);
    // With token orders: the kernel's in-place gathering equals explicit permutation.
    auto perms = [&] {
      return at::stack(
          {at::randperm(L, at::kLong), at::randperm(L, at::kLong), at::randperm(L, at::kLong)});
    };
    const at::Tensor qp = perms(), kp = perms();
    BlockSparsePlan ordered = plan;
    ordered.queryOrder = orderOf(qp);
    ordered.keyOrder = orderOf(kp);
    const at::Tensor qd = q.to(at::kDouble), kd = k.to(at::kDouble), vd = v.to(at::kDouble);
    const at::Tensor explicitOut =
        unpermuteTokens(blockSparseReference(permuteTokens(qd, qp), permuteTokens(kd, kp),
                                             permuteTokens(vd, kp), plan),
                        qp);
    const at::Tensor viaKernel = blockSparseAttention(q, k, v, ordered).to(at::kDouble);
    QVERIFY((viaKernel - explicitOut).abs().max().item<double>() < 1e-5);
    const at::Tensor viaReference = blockSparseReference(qd, kd, vd, ordered);
    QVERIFY((viaReference - explicitOut).abs().max().item<double>() < 1e-9);
    // keeps() agrees with the plan's own count.
    int64_t kept = 0;
    for (int64_t h = 0; h < H; ++h)
      for (int64_t i = 0; i < L; i += 1)
        for (int64_t j = 0; j < L; ++j) kept += plan.keeps(h, i, j);
    QCOMPARE(kept, plan.scoresComputed());
  }

  // HunyuanVideo's text as a dense key tail: every row gains the tail block, the orders the
  // tail's own positions; the kernel then equals the reference over the widened plan, and the
  // tensor version (plans built on the GPU) gives the host version's arrays, past any unused
  // entries the device builders leave at the end of keyBlocks.
  void denseKeyTailJoinsEveryRow() {
    std::mt19937 rng(5);
    const int64_t H = 3, L = 150, tail = 13;
    BlockSparsePlan plan = randomPlan(rng, H, L);
    plan.keyOrder = orderOf(at::stack(
        {at::randperm(L, at::kLong), at::randperm(L, at::kLong), at::randperm(L, at::kLong)}));
    const BlockSparsePlan wide = withDenseKeyTail(plan, tail);
    QCOMPARE(wide.keyLen, L + tail);
    QCOMPARE(wide.numKeyBlocks, plan.numKeyBlocks + 1);
    QVERIFY(wide.complete());
    QCOMPARE(wide.scoresComputed(), plan.scoresComputed() + H * L * tail);
    for (int64_t h = 0; h < H; ++h)
      for (int64_t i = 0; i < L; i += 7) {
        for (int64_t t = L; t < L + tail; ++t) QVERIFY(wide.keeps(h, i, t));
        for (int64_t j = 0; j < L; j += 5) QCOMPARE(wide.keeps(h, i, j), plan.keeps(h, i, j));
      }
    const at::Tensor q = at::randn({H, L, 32}), k = at::randn({H, L + tail, 32}),
                     v = at::randn({H, L + tail, 32});
    const at::Tensor ref =
        blockSparseReference(q.to(at::kDouble), k.to(at::kDouble), v.to(at::kDouble), wide);
    QVERIFY((blockSparseAttention(q, k, v, wide).to(at::kDouble) - ref).abs().max().item<double>() <
            1e-5);

    std::vector<int32_t> withUnused = plan.keyBlocks;
    withUnused.insert(withUnused.end(), {9, 9, 9});
    const KeyTailPlan t =
        withDenseKeyTail(H, plan.numQueryBlocks, plan.numKeyBlocks, L, ints(plan.keyStarts),
                         ints(plan.offsets), ints(withUnused), ints(plan.keyOrder), tail);
    QCOMPARE(vec(t.keyStarts), wide.keyStarts);
    QCOMPARE(vec(t.offsets), wide.offsets);
    QCOMPARE(vec(t.keyBlocks.narrow(0, 0, wide.offsets.back())), wide.keyBlocks);
    QCOMPARE(vec(t.keyOrder), wide.keyOrder);
    // Token order stays token order.
    QVERIFY(!withDenseKeyTail(H, plan.numQueryBlocks, plan.numKeyBlocks, L, ints(plan.keyStarts),
                              ints(plan.offsets), ints(plan.keyBlocks), at::Tensor(), tail)
                 .keyOrder.defined());
  }

  void svooProfileRoundTripsAndRejectsBadTables() {
    SvooProfile p;
    p.model = "builtin";
    p.steps = 20;
    p.prompts = {"a red circle moving right on a blue background"};
    p.keyFraction = {0.31, 0.2, 0.125};
    const SvooProfile back = svooProfileFromJson(svooProfileToJson(p), "t.json");
    QCOMPARE(back.keyFraction, p.keyFraction);
    QCOMPARE(back.prompts, p.prompts);
    QCOMPARE(back.steps, 20);
    QCOMPARE(back.fractionFor(1), 0.2);
    QCOMPARE(back.fractionFor(9), 0.125);  // deeper layers than the table: its last entry
    QVERIFY_EXCEPTION_THROWN(svooProfileFromJson("{\"format\":\"x\"}", "t"), InputError);
    QVERIFY_EXCEPTION_THROWN(svooProfileFromJson("{", "t"), InputError);
    QVERIFY_EXCEPTION_THROWN(
        svooProfileFromJson("{\"format\":\"svgen-svoo-profile\",\"key_fraction\":[1.5]}", "t"),
        InputError);
    AttentionConfig c;
    c.set(svoo::profile, "/nonexistent/svoo.json");
    try {
      loadSvooProfile(c, "");
      QFAIL("no error for a missing table");
    } catch (const InputError& e) {
      QVERIFY(QString(e.what()).contains("svgen profile"));
    }
  }

  void keyFractionMatchesBruteForce() {
    const at::Tensor q = at::randn({2, 16, 8}) * 2, k = at::randn({2, 40, 8}) * 2;
    const auto f = keyFractionForMass(q, k, 0.95, 16);
    for (int h = 0; h < 2; ++h) {
      double sum = 0;
      for (int r = 0; r < 16; ++r) {
        at::Tensor p = at::softmax(at::matmul(q[h][r], k[h].t()) / std::sqrt(8.0), -1);
        std::vector<double> w(p.data_ptr<float>(), p.data_ptr<float>() + 40);
        std::sort(w.rbegin(), w.rend());
        double acc = 0;
        int n = 0;
        while (n < 40 && acc < 0.95) acc += w[n++];
        sum += n / 40.0;
      }
      QVERIFY(std::abs(f[h] - sum / 16) < 1e-6);
    }
  }

  void recorderJsonRoundTrips() {
    AttentionRecorder rec;
    QVERIFY(rec.calls().empty());
    QCOMPARE(parseAttentionRecord(rec.toJson()).size(), size_t{0});
    CallRecord c;
    c.step = 3;
    c.layer = 1;
    c.method = "svg";
    c.grid = {2, 2, 2};
    c.heads = 1;
    c.detail = true;
    HeadRecord h;
    h.decision = "temporal";
    h.density = 0.25;
    h.spatialError = 0.5;
    h.temporalError = 0.1;
    h.frameMap = {0.75f, 0.25f, 0.5f, 0.5f};
    h.maskRows = 2;
    h.maskCols = 2;
    h.blockMask = {1, 0, 0, 1};
    h.queryLabels = {0, 1, 1, 0, 0, 1, 1, 0};
    h.sampledRows = {1, 6};
    h.rowMapPool = 1;
    h.rowMaps = {0, 255, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 200};  // 2 rows × 8 cells
    c.headRecords.push_back(h);
    rec.add(c);
    const auto back = parseAttentionRecord(rec.toJson());
    QCOMPARE(back.size(), size_t{1});
    QCOMPARE(back[0].headRecords[0].decision, std::string("temporal"));
    QCOMPARE(back[0].headRecords[0].blockMask, h.blockMask);
    QCOMPARE(back[0].headRecords[0].frameMap, h.frameMap);
    QCOMPARE(back[0].headRecords[0].queryLabels, h.queryLabels);
    QCOMPARE(back[0].headRecords[0].temporalError, 0.1);
    QCOMPARE(back[0].headRecords[0].sampledRows, h.sampledRows);
    QCOMPARE(back[0].headRecords[0].rowMaps, h.rowMaps);  // through base64, 16 bytes: one pad
    // Rows spread over each frame (the token overlay needs one near every spot), each frame its
    // share: 2 frames × 8 × 8 tokens, 8 rows → 4 a frame on a 2 × 2 lattice.
    QCOMPARE(sampledRowIndices({2, 8, 8}, 8),
             (std::vector<int64_t>{18, 22, 50, 54, 82, 86, 114, 118}));
    QCOMPARE(rowMapPool({21, 30, 52}), 6);  // 5 × 9 cells a frame
    QCOMPARE(rowMapPool({8, 16, 16}), 2);
    QVERIFY_EXCEPTION_THROWN(parseAttentionRecord("[1,2]"), InputError);
    // A record edited by hand or damaged: out-of-range numbers and grids are refused, not cast.
    std::string text = rec.toJson();
    for (const auto& [from, to] : std::vector<std::pair<std::string, std::string>>{
             {"\"step\":3", "\"step\":1e30"},
             {"\"layer\":1", "\"layer\":4294967296"},
             {"\"grid\":[2", "\"grid\":[-2"},
             {"\"grid\":[2,2,2]", "\"grid\":[2,2,2,1e30]"},           // too long: not read
             {"\"grid\":[2,2,2]", "\"grid\":[67108864,67108864,2]"},  // 2^53 tokens
             {"\"sampled_rows\":[", "\"sampled_rows\":[99999,"},
             {"\"frame_map\":[", "\"frame_map\":[1e39,"}}) {
      std::string bad = text;
      const size_t at = bad.find(from);
      QVERIFY2(at != std::string::npos, from.c_str());
      bad.replace(at, from.size(), to);
      QVERIFY_EXCEPTION_THROWN(parseAttentionRecord(bad), InputError);
    }
  }
};

QTEST_GUILESS_MAIN(TestSparseBuildingBlocks)
#include "test_sparse_building_blocks.moc"
