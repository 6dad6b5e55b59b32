// The sparse methods as the DiT calls them: each equals dense at a full budget, runs at awkward
// sizes, and behaves as its paper says (SVG's profiler, error falling with budget); and the
// recorder through the Engine.
#include <ATen/ATen.h>

#include "core/attention/attention_recorder.h"
#include "core/attention/clustering/cluster_parameters.h"
#include "core/attention/method_registry.h"
#include "core/attention/svg/svg_attention.h"
#include "core/attention/svg/svg_masks.h"
#include "core/attention/svg/svg_method.h"
#include "core/attention/svg2/svg2_method.h"
#include "core/attention/svoo/svoo_attention.h"
#include "core/attention/svoo/svoo_method.h"
#include "core/attention/warmup.h"
#include "core/common/error.h"
#include "core/pipeline/engine.h"

#include <QTemporaryDir>
#include <QtTest>

#include <cmath>
#include <fstream>
#include <sstream>

using namespace svgen;

namespace {

std::unique_ptr<AttentionBackend> backend(AttentionConfig c, double svooFraction = 1.0) {
  c.set(warmup::fraction, 0);
  if (c.method == "svoo") {
    SvooProfile p;
    p.keyFraction = {svooFraction};
    return std::make_unique<SvooAttention>(c, p);
  }
  return makeAttentionBackend(c);
}

AttentionConfig fullBudget(const std::string& method) {
  AttentionConfig c;
  c.method = method;
  c.set(svg::density, 1.0);
  c.set(svg::block, 16);
  c.set(clustering::topP, 1.0);
  c.set(svg2::minKeyClusterRatio, 0);
  return c;
}

double relError(const at::Tensor& a, const at::Tensor& b) {
  return ((a - b).norm() / b.norm()).item<double>();
}

AttentionCall callFor(const std::array<int64_t, 3>& grid) {
  AttentionCall call;
  call.step = 3;
  call.numSteps = 4;
  call.grid = grid;
  return call;
}

// (B, L, heads, d) with some structure: tokens of a frame share a component, so attention is
// far from uniform, as in a trained model.
at::Tensor structured(const std::array<int64_t, 3>& grid, int64_t heads, int64_t d, int seed) {
  at::manual_seed(seed);
  const int64_t L = grid[0] * grid[1] * grid[2];
  at::Tensor frame =
      at::randn({grid[0], 1, heads, d}).expand({grid[0], grid[1] * grid[2], heads, d});
  return (at::randn({1, L, heads, d}) + 1.5 * frame.reshape({1, L, heads, d})).contiguous();
}

// Video tokens of `grid` (structured) followed by `text` random text tokens, (1, L + text, 2, d).
at::Tensor jointTokens(const std::array<int64_t, 3>& grid, int64_t text, int seed, int64_t d = 16) {
  const at::Tensor video = structured(grid, 2, d, seed);
  return at::cat({video, at::randn({1, text, 2, d})}, 1).contiguous();
}

}  // namespace

class TestSparseMethods : public QObject {
  Q_OBJECT

 private slots:
  void fullBudgetEqualsDense_data() {
    QTest::addColumn<QString>("method");
    QTest::addColumn<int>("frames");
    QTest::addColumn<int>("height");
    QTest::addColumn<int>("width");
    for (const char* m : {"svg", "svg2", "svoo"}) {
      QTest::newRow(qPrintable(QString("%1 3x5x7").arg(m))) << QString(m) << 3 << 5 << 7;
      QTest::newRow(qPrintable(QString("%1 one frame").arg(m))) << QString(m) << 1 << 4 << 4;
      QTest::newRow(qPrintable(QString("%1 8x4x4").arg(m))) << QString(m) << 8 << 4 << 4;
      QTest::newRow(qPrintable(QString("%1 one token").arg(m))) << QString(m) << 1 << 1 << 1;
    }
  }

  void fullBudgetEqualsDense() {
    QFETCH(QString, method);
    QFETCH(int, frames);
    QFETCH(int, height);
    QFETCH(int, width);
    const std::array<int64_t, 3> grid = {frames, height, width};
    const at::Tensor q = structured(grid, 3, 16, 1), k = structured(grid, 3, 16, 2),
                     v = structured(grid, 3, 16, 3);
    const at::Tensor dense = denseAttention(q, k, v);
    AttentionConfig c = fullBudget(method.toStdString());
    c.set(clustering::queryClusters,
          50);  // more clusters than tokens in the small cases: clamped, never a crash
    c.set(clustering::keyClusters, 200);
    auto b = backend(c);
    // Twice: the second call of SVG2/SVOO warm-starts from the first one's centroids.
    for (int i = 0; i < 2; ++i) {
      const at::Tensor out = b->selfAttention(q, k, v, callFor(grid));
      QCOMPARE(out.sizes(), dense.sizes());
      QVERIFY2((out - dense).abs().max().item<double>() < 1e-5, qPrintable(method));
    }
    QCOMPARE(b->stats().calls, int64_t{2});
    QCOMPARE(b->stats().denseCalls, int64_t{0});
    QVERIFY(std::abs(b->stats().sparseDensity() - 1.0) < 1e-9);
  }

  void defaultBudgetsRunSparseAtAwkwardSizes_data() {
    QTest::addColumn<QString>("method");
    for (const char* m : {"svg", "svg2", "svoo"}) QTest::newRow(m) << QString(m);
  }

  void defaultBudgetsRunSparseAtAwkwardSizes() {
    QFETCH(QString, method);
    for (const std::array<int64_t, 3> grid :
         {std::array<int64_t, 3>{5, 9, 11}, {8, 16, 16}, {1, 3, 3}, {2, 1, 1}}) {
      const at::Tensor q = structured(grid, 2, 64, 4), k = structured(grid, 2, 64, 5),
                       v = structured(grid, 2, 64, 6);
      AttentionConfig c;
      c.method = method.toStdString();
      auto b = backend(c, 0.2);
      const at::Tensor out = b->selfAttention(q, k, v, callFor(grid));
      QCOMPARE(out.sizes(), q.sizes());
      QVERIFY(at::isfinite(out).all().item<bool>());
      QVERIFY(b->stats().sparseDensity() <= 1.0 + 1e-12);
      if (grid[0] * grid[1] * grid[2] >= 2048) {
        QVERIFY2(b->stats().sparseDensity() < 0.8,
                 qPrintable(QString("%1 density %2").arg(method).arg(b->stats().sparseDensity())));
        QVERIFY(relError(out, denseAttention(q, k, v)) < 0.5);
      }
    }
  }

  // On CUDA the model runs bf16: every method must take bf16 tokens (the CPU runs them through
  // the reference path) and return finite bf16 results (SVOO once mixed float32 centroids with
  // bf16 tokens and failed).
  void bf16InputsRun_data() { defaultBudgetsRunSparseAtAwkwardSizes_data(); }

  void bf16InputsRun() {
    QFETCH(QString, method);
    const std::array<int64_t, 3> grid = {4, 8, 8};
    const at::Tensor q = structured(grid, 2, 64, 7), k = structured(grid, 2, 64, 8),
                     v = structured(grid, 2, 64, 9);
    AttentionConfig c;
    c.method = method.toStdString();
    const at::Tensor out = backend(c, 0.3)->selfAttention(q.to(at::kBFloat16), k.to(at::kBFloat16),
                                                          v.to(at::kBFloat16), callFor(grid));
    QCOMPARE(out.scalar_type(), at::kBFloat16);
    QCOMPARE(out.sizes(), q.sizes());
    QVERIFY(at::isfinite(out.to(at::kFloat)).all().item<bool>());
  }

  // Head 0 attends within its frame, head 1 to its position in every frame. The long grid takes
  // the profiler's chunked reduction over the keys (more than 4,096, not a multiple of the chunk).
  void svgProfilerTellsSpatialFromTemporal_data() {
    QTest::addColumn<int>("frames");
    QTest::addColumn<int>("height");
    QTest::addColumn<int>("width");
    QTest::newRow("8x4x4") << 8 << 4 << 4;
    QTest::newRow("8x24x24 (long, chunks divide)") << 8 << 24 << 24;
    QTest::newRow("5x29x31 (long, padded chunks)") << 5 << 29 << 31;
  }

  void svgProfilerTellsSpatialFromTemporal() {
    QFETCH(int, frames);
    QFETCH(int, height);
    QFETCH(int, width);
    const std::array<int64_t, 3> grid = {frames, height, width};
    const int64_t F = frames, S = int64_t{height} * width, L = F * S, d = 64;
    // Random unit codes are nearly orthogonal in 64 dimensions (scaled so that attention stays
    // peaked over 4,608 keys): a token's code matches only its
    // own frame's (head 0) or its own position's (head 1).
    at::manual_seed(11);
    const at::Tensor frameCode = at::randn({F, d}), positionCode = at::randn({S, d});
    const at::Tensor t = at::arange(L, at::kLong);
    auto unit = [](const at::Tensor& c) { return c / c.norm(2, -1, true); };
    at::Tensor q = at::stack({12.0 * unit(frameCode.index_select(0, t.div(S, "floor"))),
                              12.0 * unit(positionCode.index_select(0, t.remainder(S)))});
    q = q + 0.05 * at::randn(q.sizes());
    const at::Tensor k = q.clone(), v = at::randn({2, L, d});
    const SvgMasks masks = svgMasks(grid, 16, 0.3);
    const SvgProfile p = profileSvgHeads(q, k, v, grid, masks, 64);
    QVERIFY2(!p.temporal[0], qPrintable(QString("head 0 errors: spatial %1 temporal %2")
                                            .arg(p.spatialError[0])
                                            .arg(p.temporalError[0])));
    QVERIFY2(p.temporal[1], qPrintable(QString("head 1 errors: spatial %1 temporal %2")
                                           .arg(p.spatialError[1])
                                           .arg(p.temporalError[1])));
    QVERIFY(p.spatialError[0] < p.temporalError[0]);
    QVERIFY(p.temporalError[1] < p.spatialError[1]);
  }

  void errorFallsAsBudgetRises() {
    const std::array<int64_t, 3> grid = {8, 8, 8};
    const at::Tensor q = structured(grid, 2, 32, 7), k = structured(grid, 2, 32, 8),
                     v = structured(grid, 2, 32, 9);
    const at::Tensor dense = denseAttention(q, k, v);
    double last = 1e9;
    for (double density : {0.15, 0.4, 0.7, 1.0}) {
      AttentionConfig c;
      c.method = "svg";
      c.set(svg::block, 32);
      c.set(svg::density, density);
      const double err = relError(backend(c)->selfAttention(q, k, v, callFor(grid)), dense);
      QVERIFY2(err <= last + 1e-9,
               qPrintable(QString("density %1 error %2 > %3").arg(density).arg(err).arg(last)));
      last = err;
    }
    QVERIFY(last < 1e-5);
    last = 1e9;
    for (double topP : {0.3, 0.6, 0.9, 1.0}) {
      AttentionConfig c;
      c.method = "svg2";
      c.set(clustering::topP, topP);
      c.set(svg2::minKeyClusterRatio, 0);
      const double err = relError(backend(c)->selfAttention(q, k, v, callFor(grid)), dense);
      QVERIFY2(err <= last + 1e-9,
               qPrintable(QString("top-p %1 error %2 > %3").arg(topP).arg(err).arg(last)));
      last = err;
    }
  }

  void warmupRunsDense() {
    AttentionConfig c;
    c.method = "svg2";
    c.set(warmup::fraction, 0.5);
    c.set(warmup::layers, 2);
    auto b = makeAttentionBackend(c);
    const std::array<int64_t, 3> grid = {4, 4, 4};
    const at::Tensor q = structured(grid, 2, 16, 1);
    AttentionCall call = callFor(grid);
    call.numSteps = 10;
    for (auto [step, layer, dense] :
         {std::tuple{0, 5, true}, {4, 5, true}, {5, 1, true}, {5, 2, false}, {9, 7, false}}) {
      call.step = step;
      call.layer = layer;
      const int64_t before = b->stats().denseCalls;
      b->selfAttention(q, q, q, call);
      QCOMPARE(b->stats().denseCalls - before, int64_t{dense ? 1 : 0});
    }
  }

  // svg_profile_every k: a layer's heads are profiled on every k-th step only; the steps between
  // reuse the last classes (and compute exactly what those classes give); a new run or another
  // grid profiles afresh.
  void svgProfilesEveryKthStep() {
    const std::array<int64_t, 3> grid = {4, 4, 4};
    const at::Tensor q = structured(grid, 2, 16, 1), k = structured(grid, 2, 16, 2),
                     v = structured(grid, 2, 16, 3);
    AttentionConfig c;
    c.method = "svg";
    c.set(svg::block, 16);
    c.set(svg::profileEvery, 3);
    auto b = backend(c);
    int profiles = 0;
    b->setPhaseListener([&](const char* phase) {
      if (std::string(phase) == "head profiling") ++profiles;
    });
    AttentionCall call = callFor(grid);
    call.numSteps = 8;
    std::vector<int> profiledAt;
    at::Tensor reused;
    for (int step = 0; step < 8; ++step) {
      call.step = step;
      const int before = profiles;
      const at::Tensor out = b->selfAttention(q, k, v, call);
      if (profiles > before) profiledAt.push_back(step);
      if (step == 1) reused = out;
    }
    QCOMPARE(profiledAt, (std::vector<int>{0, 3, 6}));
    // Same inputs, same classes: a reused step computes what a profiled one does.
    c.set(svg::profileEvery, 1);
    call.step = 1;
    QVERIFY(backend(c)->selfAttention(q, k, v, call).equal(reused));
    // Other inputs on the step after a profile: every head keeps the profiled step's measurement
    // with k = 3, and gets its own with k = 1.
    const at::Tensor q2 = structured(grid, 2, 16, 7), k2 = structured(grid, 2, 16, 8);
    for (int every : {3, 1}) {
      c.set(svg::profileEvery, every);
      auto fresh = backend(c);
      AttentionRecorder recorder;
      fresh->setRecorder(&recorder);
      call.step = 0;
      fresh->selfAttention(q, k, v, call);
      call.step = 1;
      fresh->selfAttention(q2, k2, v, call);
      QCOMPARE(recorder.calls().size(), size_t{2});
      const auto& first = recorder.calls()[0].headRecords;
      const auto& second = recorder.calls()[1].headRecords;
      bool same = true;
      for (size_t h = 0; h < first.size(); ++h)
        same = same && first[h].spatialError == second[h].spatialError &&
               first[h].temporalError == second[h].temporalError;
      QCOMPARE(same, every == 3);
    }
    call.grid = grid;
    // A new run starts over at step 0 and profiles there.
    call.step = 0;
    b->selfAttention(q, k, v, call);
    QCOMPARE(profiles, 4);
    // Another grid (same token count) profiles at once.
    call.step = 1;
    call.grid = {2, 8, 4};
    b->selfAttention(q, k, v, call);
    QCOMPARE(profiles, 5);
  }

  // HunyuanVideo's joint attention: video tokens then text. At a full budget every method is
  // dense over all of it.
  void jointFullBudgetEqualsDense_data() { defaultBudgetsRunSparseAtAwkwardSizes_data(); }

  void jointFullBudgetEqualsDense() {
    QFETCH(QString, method);
    const std::array<int64_t, 3> grid = {3, 5, 7};
    const int64_t text = 6;
    const at::Tensor q = jointTokens(grid, text, 1), k = jointTokens(grid, text, 2),
                     v = jointTokens(grid, text, 3);
    auto b = backend(fullBudget(method.toStdString()));
    const at::Tensor out = b->jointAttention(q, k, v, text, callFor(grid));
    QCOMPARE(out.sizes(), q.sizes());
    QVERIFY2((out - denseAttention(q, k, v)).abs().max().item<double>() < 1e-5, qPrintable(method));
    QCOMPARE(b->stats().denseCalls, int64_t{0});
  }

  // Below the full budget the video queries keep the method's own video keys plus every text
  // key. The values carry a last column of ones on the video keys and zeros on the text: that
  // column of the joint output is the share w of each row's mass on the video keys it kept, and
  // the rest must be w · (the method's video-only output) + (1 − w) · (dense over the text).
  // The text queries attend densely to everything.
  void jointKeepsTheTextDense_data() { defaultBudgetsRunSparseAtAwkwardSizes_data(); }

  void jointKeepsTheTextDense() {
    QFETCH(QString, method);
    const std::array<int64_t, 3> grid = {8, 16, 16};
    const int64_t L = grid[0] * grid[1] * grid[2], text = 9, d = 64;
    at::Tensor q = jointTokens(grid, text, 4, d), k = jointTokens(grid, text, 5, d);
    at::Tensor v = jointTokens(grid, text, 6, d);
    // The marker column: outside the scores, ones on the video's values, zeros on the text's.
    q.select(3, d - 1).zero_();
    k.select(3, d - 1).zero_();
    v.select(3, d - 1).fill_(1);
    v.narrow(1, L, text).select(3, d - 1).zero_();
    AttentionConfig c;
    c.method = method.toStdString();
    const at::Tensor joint = backend(c, 0.2)->jointAttention(q, k, v, text, callFor(grid));
    auto videoOnly = backend(c, 0.2);
    const at::Tensor own = videoOnly->selfAttention(q.narrow(1, 0, L), k.narrow(1, 0, L),
                                                    v.narrow(1, 0, L), callFor(grid));
    QVERIFY2(videoOnly->stats().sparseDensity() < 0.8,
             qPrintable(QString::number(videoOnly->stats().sparseDensity())));
    const at::Tensor overText =
        denseAttention(q.narrow(1, 0, L), k.narrow(1, L, text), v.narrow(1, L, text));
    const at::Tensor w = joint.narrow(1, 0, L).narrow(3, d - 1, 1);
    qInfo("video share of the mass %g..%g, mean %g", w.min().item<double>(), w.max().item<double>(),
          w.mean().item<double>());
    QVERIFY2(w.min().item<double>() > 0.01 && w.min().item<double>() < 0.9,
             "the text keys hold much of some rows' mass");
    const at::Tensor expected = w * own + (1 - w) * overText;
    const double err = (joint.narrow(1, 0, L).narrow(3, 0, d - 1) - expected.narrow(3, 0, d - 1))
                           .abs()
                           .max()
                           .item<double>();
    QVERIFY2(err < 1e-4, qPrintable(QString("%1: %2").arg(method).arg(err)));
    const at::Tensor textRows = denseAttention(q.narrow(1, L, text), k, v);
    QVERIFY((joint.narrow(1, L, text) - textRows).abs().max().item<double>() < 1e-5);
  }

  void badSettingsAreClearErrors() {
    AttentionConfig c;
    c.method = "flash";
    QVERIFY_EXCEPTION_THROWN(makeAttentionBackend(c), InputError);
    c.method = "svg";
    c.set(svg::density, 0);
    QVERIFY_EXCEPTION_THROWN(makeAttentionBackend(c), InputError);
    c = AttentionConfig();
    c.method = "svoo";
    c.set(svoo::profile, "/nonexistent.json");
    QVERIFY_EXCEPTION_THROWN(makeAttentionBackend(c), InputError);
  }

  // Off: no file, nothing recorded. On: one call record per step and layer, with the decisions.
  void recorderThroughEngine() {
    QTemporaryDir dir;
    Engine engine;
    GenerationRequest r;
    r.prompt = "a red circle moving right on a blue background";
    r.frames = 4;
    r.width = 64;
    r.height = 64;
    r.steps = 3;
    r.previewEvery = 0;
    r.attention.method = "svg";
    r.attention.set(warmup::fraction, 0.34);  // step 0 dense
    r.attention.set(svg::block, 16);
    GenerationObserver observer;
    GenerationResult off = engine.generate(r, observer);
    QVERIFY(off.attentionDensity < 1.0);
    QVERIFY(QDir(dir.path()).entryList(QDir::Files).isEmpty());
    r.recordAttentionPath = (dir.path() + "/run.json").toStdString();
    GenerationResult on = engine.generate(r, observer);
    QVERIFY(
        at::equal(at::from_blob(on.video.rgb.data(), {(int64_t)on.video.rgb.size()}, at::kByte),
                  at::from_blob(off.video.rgb.data(), {(int64_t)off.video.rgb.size()}, at::kByte)));
    std::ifstream in(r.recordAttentionPath);
    std::stringstream s;
    s << in.rdbuf();
    const auto calls = parseAttentionRecord(s.str());
    const int layers = 8;
    QCOMPARE(static_cast<int>(calls.size()), r.steps * layers);
    QCOMPARE(calls.front().method, std::string("dense"));
    QCOMPARE(calls.back().method, std::string("svg"));
    QVERIFY(calls.back().detail);
    const HeadRecord& h = calls.back().headRecords.front();
    QVERIFY(h.decision == "spatial" || h.decision == "temporal");
    QVERIFY(h.spatialError >= 0 && h.temporalError >= 0);
    QCOMPARE(static_cast<int>(h.frameMap.size()), 2 * 2);  // 4 frames / temporal patch 2
    QVERIFY(!h.blockMask.empty());
  }
};

QTEST_GUILESS_MAIN(TestSparseMethods)
#include "test_sparse_methods.moc"
