// The tiled CPU attention kernel (dense and block-sparse) against a float64 LibTorch reference,
// on every instruction-set path this machine can run.
#include <ATen/ATen.h>

#include "kernels/cpu/attention_cpu.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include <QtTest>

namespace {

using svgen::kernels::AttentionShape;

// Block lists as the kernel takes them: offsets per (head, query block) and key-block indices.
struct BlockLists {
  std::vector<int32_t> offsets{0};
  std::vector<int32_t> keyBlocks;
};

// Sets SVGEN_CPU_ISA for one scope; an empty name means "let the kernel choose".
class IsaScope {
 public:
  explicit IsaScope(const QByteArray& isa) {
    if (isa.isEmpty())
      qunsetenv("SVGEN_CPU_ISA");
    else
      qputenv("SVGEN_CPU_ISA", isa);
  }
  ~IsaScope() { qunsetenv("SVGEN_CPU_ISA"); }
};

// The paths this CPU can run: the best one first, then the forced lower ones.
QList<QByteArray> availableIsas() {
  QList<QByteArray> isas;
  isas << QByteArray(svgen::kernels::attentionCpuIsa());
  for (const QByteArray lower : {QByteArray("avx2"), QByteArray("scalar")}) {
    IsaScope scope(lower);
    if (lower == svgen::kernels::attentionCpuIsa() && !isas.contains(lower)) isas << lower;
  }
  return isas;
}

at::Tensor randomInput(int bh, int len, int d, double gain = 1.0) {
  return (at::randn({bh, len, d}, at::kFloat) * gain).contiguous();
}

// softmax(q kᵀ · scale) v in float64; where `mask` (BH × Lq × Lk, 1 = kept) is given, masked
// scores are dropped and a row with nothing kept outputs zeros.
at::Tensor reference(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v, double scale,
                     const at::Tensor& mask = at::Tensor()) {
  auto s = at::matmul(q.to(at::kDouble), k.to(at::kDouble).transpose(1, 2)) * scale;
  if (mask.defined()) s = s.masked_fill(mask == 0, -std::numeric_limits<double>::infinity());
  auto mx = std::get<0>(s.max(-1, true));
  mx = at::where(at::isinf(mx), at::zeros_like(mx), mx);
  auto p = at::exp(s - mx);
  auto l = p.sum(-1, true);
  return at::matmul(p, v.to(at::kDouble)) / l.clamp_min(1e-300);
}

at::Tensor dense(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v, float scale) {
  auto out = at::full_like(q, std::numeric_limits<float>::quiet_NaN());
  const AttentionShape s{static_cast<int>(q.size(0)), static_cast<int>(q.size(1)),
                         static_cast<int>(k.size(1)), static_cast<int>(q.size(2))};
  svgen::kernels::attentionDenseF32(q.data_ptr<float>(), k.data_ptr<float>(), v.data_ptr<float>(),
                                    out.data_ptr<float>(), s, scale);
  return out;
}

at::Tensor sparse(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v, float scale,
                  int queryBlock, int keyBlock, const BlockLists& lists, int64_t* pairs) {
  auto out = at::full_like(q, std::numeric_limits<float>::quiet_NaN());
  const AttentionShape s{static_cast<int>(q.size(0)), static_cast<int>(q.size(1)),
                         static_cast<int>(k.size(1)), static_cast<int>(q.size(2))};
  *pairs = svgen::kernels::attentionBlockSparseUniformF32(
               q.data_ptr<float>(), k.data_ptr<float>(), v.data_ptr<float>(), out.data_ptr<float>(),
               s, scale, queryBlock, keyBlock, lists.offsets.data(), lists.keyBlocks.data())
               .blockPairs;
  return out;
}

// Random block boundaries per head: sizes 0..maxSize, ending exactly at len.
std::vector<int32_t> randomStarts(int bh, int n, int len, std::mt19937& rng) {
  std::vector<int32_t> starts;
  std::uniform_int_distribution<int> cut(0, len);
  for (int h = 0; h < bh; ++h) {
    std::vector<int32_t> c{0, len};
    for (int i = 0; i < n - 1; ++i) c.push_back(cut(rng));
    std::sort(c.begin(), c.end());
    starts.insert(starts.end(), c.begin(), c.end());
  }
  return starts;
}

at::Tensor varMaskOf(const BlockLists& lists, int bh, int lq, int lk, int nqb, int nkb,
                     const std::vector<int32_t>& qs, const std::vector<int32_t>& ks) {
  auto mask = at::zeros({bh, lq, lk}, at::kByte);
  for (int h = 0; h < bh; ++h)
    for (int i = 0; i < nqb; ++i) {
      const int q0 = qs[h * (nqb + 1) + i], q1 = qs[h * (nqb + 1) + i + 1];
      for (int32_t e = lists.offsets[h * nqb + i]; e < lists.offsets[h * nqb + i + 1]; ++e) {
        const int kb = lists.keyBlocks[e];
        const int k0 = ks[h * (nkb + 1) + kb], k1 = ks[h * (nkb + 1) + kb + 1];
        mask[h].narrow(0, q0, q1 - q0).narrow(1, k0, k1 - k0).fill_(1);
      }
    }
  return mask;
}

at::Tensor maskOf(const BlockLists& lists, int bh, int lq, int lk, int queryBlock, int keyBlock) {
  const int nqb = (lq + queryBlock - 1) / queryBlock;
  auto mask = at::zeros({bh, lq, lk}, at::kByte);
  for (int h = 0; h < bh; ++h)
    for (int i = 0; i < nqb; ++i) {
      const int q0 = i * queryBlock;
      const int nq = std::min(queryBlock, lq - q0);
      for (int32_t e = lists.offsets[h * nqb + i]; e < lists.offsets[h * nqb + i + 1]; ++e) {
        const int k0 = lists.keyBlocks[e] * keyBlock;
        mask[h].narrow(0, q0, nq).narrow(1, k0, std::min(keyBlock, lk - k0)).fill_(1);
      }
    }
  return mask;
}

// Random lists where each query block is, in turn, empty, full, a single block or random.
BlockLists randomLists(int bh, int nqb, int nkb, std::mt19937& rng) {
  BlockLists lists;
  std::uniform_int_distribution<int> pick(0, nkb - 1);
  std::bernoulli_distribution keep(0.4);
  for (int h = 0; h < bh; ++h)
    for (int i = 0; i < nqb; ++i) {
      switch ((h * nqb + i) % 4) {
        case 0:
          break;
        case 1:
          for (int j = 0; j < nkb; ++j) lists.keyBlocks.push_back(j);
          break;
        case 2:
          lists.keyBlocks.push_back(pick(rng));
          break;
        default:
          for (int j = 0; j < nkb; ++j)
            if (keep(rng)) lists.keyBlocks.push_back(j);
          break;
      }
      lists.offsets.push_back(static_cast<int32_t>(lists.keyBlocks.size()));
    }
  return lists;
}

double maxAbs(const at::Tensor& a, const at::Tensor& b) {
  return (a.to(at::kDouble) - b.to(at::kDouble)).abs().max().item<double>();
}

bool allFinite(const at::Tensor& t) {
  return at::isfinite(t).all().item<bool>();
}

}  // namespace

class TestAttentionCpu : public QObject {
  Q_OBJECT

 private slots:
  void initTestCase() { at::manual_seed(1234); }

  void isaSelection() {
    const QByteArray best = svgen::kernels::attentionCpuIsa();
    QVERIFY(best == "avx512" || best == "avx2" || best == "scalar");
    {
      IsaScope scope("scalar");
      QCOMPARE(QByteArray(svgen::kernels::attentionCpuIsa()), QByteArray("scalar"));
    }
    if (best != "scalar") {
      IsaScope scope("avx2");
      QCOMPARE(QByteArray(svgen::kernels::attentionCpuIsa()), QByteArray("avx2"));
    }
    QCOMPARE(QByteArray(svgen::kernels::attentionCpuIsa()), best);
    qInfo() << "attention ISA paths:" << availableIsas();
  }

  void denseMatchesReference_data() {
    QTest::addColumn<int>("bh");
    QTest::addColumn<int>("lq");
    QTest::addColumn<int>("lk");
    QTest::addColumn<int>("d");
    QTest::newRow("1x1x1 d64") << 1 << 1 << 1 << 64;
    QTest::newRow("2x37x53 d64") << 2 << 37 << 53 << 64;
    QTest::newRow("3x130x257 d128") << 3 << 130 << 257 << 128;
    QTest::newRow("2x200x200 d24") << 2 << 200 << 200 << 24;
    QTest::newRow("1x70x90 d256") << 1 << 70 << 90 << 256;
    QTest::newRow("1x65x33 d2") << 1 << 65 << 33 << 2;
    QTest::newRow("1x2048x2048 d64") << 1 << 2048 << 2048 << 64;
  }

  void denseMatchesReference() {
    QFETCH(int, bh);
    QFETCH(int, lq);
    QFETCH(int, lk);
    QFETCH(int, d);
    const auto q = randomInput(bh, lq, d), k = randomInput(bh, lk, d), v = randomInput(bh, lk, d);
    const float scale = 1.0f / std::sqrt(static_cast<float>(d));
    const auto ref = reference(q, k, v, scale);
    at::Tensor first;
    for (const QByteArray& isa : availableIsas()) {
      IsaScope scope(isa);
      const auto out = dense(q, k, v, scale);
      QVERIFY2(allFinite(out), isa.constData());
      const double err = maxAbs(out, ref);
      QVERIFY2(err < 2e-5, qPrintable(QString("%1: max error %2").arg(isa.constData()).arg(err)));
      // Every path computes the same thing; they differ only in rounding.
      if (first.defined())
        QVERIFY2(maxAbs(out, first) < 2e-5, isa.constData());
      else
        first = out;
    }
  }

  void blockSparseMatchesMaskedReference_data() {
    QTest::addColumn<int>("bh");
    QTest::addColumn<int>("lq");
    QTest::addColumn<int>("lk");
    QTest::addColumn<int>("d");
    QTest::addColumn<int>("queryBlock");
    QTest::addColumn<int>("keyBlock");
    QTest::newRow("aligned 64x64 d64") << 2 << 256 << 256 << 64 << 64 << 64;
    QTest::newRow("partial 64x48 d64") << 2 << 150 << 190 << 64 << 64 << 48;
    QTest::newRow("partial 128x128 d128") << 3 << 300 << 333 << 128 << 128 << 128;
    QTest::newRow("small blocks 32x16 d24") << 2 << 97 << 101 << 24 << 32 << 16;
    QTest::newRow("odd blocks 100x70 d64") << 2 << 230 << 211 << 64 << 100 << 70;
    QTest::newRow("one block each") << 4 << 20 << 30 << 64 << 64 << 64;
  }

  void blockSparseMatchesMaskedReference() {
    QFETCH(int, bh);
    QFETCH(int, lq);
    QFETCH(int, lk);
    QFETCH(int, d);
    QFETCH(int, queryBlock);
    QFETCH(int, keyBlock);
    std::mt19937 rng(static_cast<unsigned>(lq * 31 + lk));
    const int nqb = (lq + queryBlock - 1) / queryBlock;
    const int nkb = (lk + keyBlock - 1) / keyBlock;
    const auto lists = randomLists(bh, nqb, nkb, rng);
    const auto q = randomInput(bh, lq, d), k = randomInput(bh, lk, d), v = randomInput(bh, lk, d);
    const float scale = 1.0f / std::sqrt(static_cast<float>(d));
    const auto ref = reference(q, k, v, scale, maskOf(lists, bh, lq, lk, queryBlock, keyBlock));
    at::Tensor first;
    for (const QByteArray& isa : availableIsas()) {
      IsaScope scope(isa);
      int64_t pairs = -1;
      const auto out = sparse(q, k, v, scale, queryBlock, keyBlock, lists, &pairs);
      QCOMPARE(pairs, static_cast<int64_t>(lists.keyBlocks.size()));
      QVERIFY2(allFinite(out), isa.constData());
      const double err = maxAbs(out, ref);
      QVERIFY2(err < 2e-5, qPrintable(QString("%1: max error %2").arg(isa.constData()).arg(err)));
      if (first.defined())
        QVERIFY2(maxAbs(out, first) < 2e-5, isa.constData());
      else
        first = out;
    }
  }

  void emptyListsOutputZeros() {
    const int bh = 2, lq = 100, lk = 80, d = 64, block = 32;
    const int nqb = (lq + block - 1) / block;
    BlockLists lists;
    lists.offsets.assign(bh * nqb + 1, 0);
    const auto q = randomInput(bh, lq, d), k = randomInput(bh, lk, d), v = randomInput(bh, lk, d);
    for (const QByteArray& isa : availableIsas()) {
      IsaScope scope(isa);
      int64_t pairs = -1;
      const auto out = sparse(q, k, v, 0.125f, block, block, lists, &pairs);
      QCOMPARE(pairs, int64_t{0});
      QCOMPARE(out.abs().max().item<float>(), 0.0f);
    }
  }

  void fullListsEqualDense() {
    const int bh = 3, lq = 200, lk = 300, d = 64, qBlock = 64, kBlock = 64;
    const int nqb = (lq + qBlock - 1) / qBlock, nkb = (lk + kBlock - 1) / kBlock;
    BlockLists lists;
    for (int t = 0; t < bh * nqb; ++t) {
      for (int j = 0; j < nkb; ++j) lists.keyBlocks.push_back(j);
      lists.offsets.push_back(static_cast<int32_t>(lists.keyBlocks.size()));
    }
    const auto q = randomInput(bh, lq, d), k = randomInput(bh, lk, d), v = randomInput(bh, lk, d);
    for (const QByteArray& isa : availableIsas()) {
      IsaScope scope(isa);
      int64_t pairs = -1;
      const auto out = sparse(q, k, v, 0.125f, qBlock, kBlock, lists, &pairs);
      QCOMPARE(pairs, static_cast<int64_t>(bh) * nqb * nkb);
      QVERIFY2(maxAbs(out, dense(q, k, v, 0.125f)) < 1e-6, isa.constData());
    }
  }

  // Scores in the thousands: exp without the running max would overflow to inf and give NaN.
  void largeInputsStayFinite() {
    const int bh = 2, lq = 150, lk = 170, d = 64;
    const auto q = randomInput(bh, lq, d, 30.0), k = randomInput(bh, lk, d, 30.0);
    const auto v = randomInput(bh, lk, d);
    const float scale = 0.125f;
    const auto ref = reference(q, k, v, scale);
    std::mt19937 rng(7);
    const auto lists = randomLists(bh, 3, 3, rng);
    const auto sparseRef = reference(q, k, v, scale, maskOf(lists, bh, lq, lk, 64, 64));
    for (const QByteArray& isa : availableIsas()) {
      IsaScope scope(isa);
      const auto out = dense(q, k, v, scale);
      QVERIFY2(allFinite(out), isa.constData());
      // Float32 scores of magnitude ~1e3 carry ~1e-4 absolute error, as LibTorch's float32 does.
      const double err = maxAbs(out, ref);
      QVERIFY2(err < 2e-3, qPrintable(QString("%1: max error %2").arg(isa.constData()).arg(err)));
      int64_t pairs = -1;
      const auto sp = sparse(q, k, v, scale, 64, 64, lists, &pairs);
      QVERIFY2(allFinite(sp), isa.constData());
      QVERIFY2(maxAbs(sp, sparseRef) < 2e-3, isa.constData());
    }
  }

  // Clusters after permutation: blocks of any size (empty ones too), different per head, and many
  // tiny key blocks that the kernel packs into shared 64-key tiles.
  void variableBlocksMatchMaskedReference_data() {
    QTest::addColumn<int>("bh");
    QTest::addColumn<int>("len");
    QTest::addColumn<int>("nqb");
    QTest::addColumn<int>("nkb");
    QTest::newRow("few large") << 2 << 300 << 3 << 5;
    QTest::newRow("many tiny keys") << 3 << 257 << 9 << 120;
    QTest::newRow("more blocks than keys") << 2 << 40 << 50 << 60;
    QTest::newRow("one token") << 1 << 1 << 1 << 1;
  }

  void variableBlocksMatchMaskedReference() {
    QFETCH(int, bh);
    QFETCH(int, len);
    QFETCH(int, nqb);
    QFETCH(int, nkb);
    const int d = 64;
    std::mt19937 rng(static_cast<unsigned>(len * 7 + nkb));
    const auto qs = randomStarts(bh, nqb, len, rng);
    const auto ks = randomStarts(bh, nkb, len, rng);
    const auto lists = randomLists(bh, nqb, nkb, rng);
    const auto q = randomInput(bh, len, d), k = randomInput(bh, len, d),
               v = randomInput(bh, len, d);
    const auto ref = reference(q, k, v, 0.125f, varMaskOf(lists, bh, len, len, nqb, nkb, qs, ks));
    svgen::kernels::BlockSparseLayout layout;
    layout.numQueryBlocks = nqb;
    layout.numKeyBlocks = nkb;
    layout.queryStarts = qs.data();
    layout.keyStarts = ks.data();
    layout.offsets = lists.offsets.data();
    layout.keyBlocks = lists.keyBlocks.data();
    int64_t expectedScores = 0;
    for (int h = 0; h < bh; ++h)
      for (int i = 0; i < nqb; ++i)
        for (int32_t e = lists.offsets[h * nqb + i]; e < lists.offsets[h * nqb + i + 1]; ++e) {
          const int kb = lists.keyBlocks[e];
          expectedScores += int64_t{qs[h * (nqb + 1) + i + 1] - qs[h * (nqb + 1) + i]} *
                            (ks[h * (nkb + 1) + kb + 1] - ks[h * (nkb + 1) + kb]);
        }
    const AttentionShape s{bh, len, len, d};
    // The same blocks over permuted rows: logical position i of head h is row order[h][i].
    std::vector<int32_t> qOrder, kOrder;
    for (int h = 0; h < bh; ++h)
      for (auto* order : {&qOrder, &kOrder}) {
        std::vector<int32_t> p(len);
        for (int i = 0; i < len; ++i) p[i] = i;
        std::shuffle(p.begin(), p.end(), rng);
        order->insert(order->end(), p.begin(), p.end());
      }
    auto orderT = [&](const std::vector<int32_t>& o) {
      return at::from_blob(const_cast<int32_t*>(o.data()), {bh, len}, at::kInt).to(at::kLong);
    };
    const auto qo = orderT(qOrder), ko = orderT(kOrder);
    auto gather = [&](const at::Tensor& x, const at::Tensor& o) {
      return x.gather(1, o.unsqueeze(-1).expand({bh, len, d}));
    };
    const auto refLogical = reference(gather(q, qo), gather(k, ko), gather(v, ko), 0.125f,
                                      varMaskOf(lists, bh, len, len, nqb, nkb, qs, ks));
    const auto refOrdered =
        at::empty_like(refLogical).scatter_(1, qo.unsqueeze(-1).expand({bh, len, d}), refLogical);
    for (const QByteArray& isa : availableIsas()) {
      IsaScope scope(isa);
      auto out = at::full_like(q, std::numeric_limits<float>::quiet_NaN());
      layout.queryOrder = qOrder.data();
      layout.keyOrder = kOrder.data();
      svgen::kernels::attentionBlockSparseF32(q.data_ptr<float>(), k.data_ptr<float>(),
                                              v.data_ptr<float>(), out.data_ptr<float>(), s, 0.125f,
                                              layout);
      QVERIFY2(maxAbs(out, refOrdered) < 2e-5,
               qPrintable(QString("%1 with orders").arg(isa.constData())));
      layout.queryOrder = layout.keyOrder = nullptr;
      out.fill_(std::numeric_limits<float>::quiet_NaN());
      const auto count = svgen::kernels::attentionBlockSparseF32(
          q.data_ptr<float>(), k.data_ptr<float>(), v.data_ptr<float>(), out.data_ptr<float>(), s,
          0.125f, layout);
      QCOMPARE(count.blockPairs, static_cast<int64_t>(lists.keyBlocks.size()));
      QCOMPARE(count.scores, expectedScores);
      // Rows in an empty key block selection, or whose selected blocks are all empty, are zero.
      const auto masked = at::isfinite(out);
      QVERIFY2(masked.all().item<bool>(), isa.constData());
      const double err = maxAbs(out, ref);
      QVERIFY2(err < 2e-5, qPrintable(QString("%1: max error %2").arg(isa.constData()).arg(err)));
    }
  }

  void badLayoutsAndArgumentsThrow() {
    const int bh = 1, lq = 64, lk = 64, d = 64;
    BlockLists lists;
    lists.keyBlocks = {-1, 0, 5};
    lists.offsets = {0, 3};
    const auto q = randomInput(bh, lq, d), k = randomInput(bh, lk, d), v = randomInput(bh, lk, d);
    int64_t pairs = -1;
    QVERIFY_EXCEPTION_THROWN(sparse(q, k, v, 0.125f, 64, 64, lists, &pairs), std::invalid_argument);
    lists.keyBlocks = {0};
    lists.offsets = {0, 1};
    QVERIFY_EXCEPTION_THROWN(sparse(q, k, v, 0.125f, 0, 64, lists, &pairs), std::invalid_argument);
    svgen::kernels::BlockSparseLayout layout;
    const std::vector<int32_t> badStarts{0, 40, 30, 64}, goodStarts{0, 64}, offsets{0, 0, 0, 0};
    layout.numQueryBlocks = 3;
    layout.numKeyBlocks = 1;
    layout.queryStarts = badStarts.data();
    layout.keyStarts = goodStarts.data();
    layout.offsets = offsets.data();
    auto out = at::empty_like(q);
    QVERIFY_EXCEPTION_THROWN(
        svgen::kernels::attentionBlockSparseF32(q.data_ptr<float>(), k.data_ptr<float>(),
                                                v.data_ptr<float>(), out.data_ptr<float>(),
                                                AttentionShape{bh, lq, lk, d}, 0.125f, layout),
        std::invalid_argument);
    const std::vector<int32_t> goodQs{0, 20, 40, 64}, notAPermutation(64, 3);
    layout.queryStarts = goodQs.data();
    layout.queryOrder = notAPermutation.data();
    QVERIFY_EXCEPTION_THROWN(
        svgen::kernels::attentionBlockSparseF32(q.data_ptr<float>(), k.data_ptr<float>(),
                                                v.data_ptr<float>(), out.data_ptr<float>(),
                                                AttentionShape{bh, lq, lk, d}, 0.125f, layout),
        std::invalid_argument);
    auto wide = randomInput(1, 4, 258);
    QVERIFY_EXCEPTION_THROWN(dense(wide, wide, wide, 1.0f), std::invalid_argument);
  }
};

QTEST_GUILESS_MAIN(TestAttentionCpu)
#include "test_attention_cpu.moc"
