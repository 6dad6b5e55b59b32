// Structured random weights (core/model/structured_attention.h): heads attend as designed, as
// SVOO's and SVG's profilers measure them on a real forward pass.
#include "core/attention/svg/svg_method.h"
#include "core/bench/structure_probe.h"
#include "core/model/structured_attention.h"
#include "core/model/wan_dit.h"
#include "core/model/weight_init.h"

#include <ATen/ATen.h>
#include <c10/core/GradMode.h>

#include <QtTest>

#include <cmath>

using namespace svgen;

namespace {

// Wan's head size (128, so RoPE splits it as Wan 2.1 does) on a small model.
WanConfig smallConfig() {
  WanConfig c;
  c.dim = 512;
  c.ffnDim = 1024;
  c.numHeads = 4;
  c.numLayers = 4;
  c.textLen = 16;
  c.textDim = 64;
  return c;
}

}  // namespace

class TestStructuredAttention : public QObject {
  Q_OBJECT

 private slots:
  void calibrationReachesItsTargets() {
    const std::array<int64_t, 3> grid = {9, 24, 40};
    for (HeadKind kind : {HeadKind::Spatial, HeadKind::Temporal, HeadKind::Content}) {
      double last = 1.0;
      for (double sharpness : {0.0, 5.0, 20.0, 80.0}) {
        const double f = centreKeyFraction(kind, 128, sharpness, grid);
        QVERIFY2(f <= last + 1e-12, headKindName(kind));  // sharper: fewer keys
        last = f;
      }
      QVERIFY(centreKeyFraction(kind, 128, 0.0, grid) > 0.9);  // flat: almost every key
    }
  }

  // On a real forward pass (the token-dependent part, norms and modulation included), every
  // head designed spatial is one for SVG's profiler and every temporal one temporal; each needs
  // about its designed share of the keys for 95% of the attention (less at the grid's edges,
  // where a query has fewer neighbours), where the same random weights unstructured need most.
  void headsAttendAsDesigned() {
    c10::NoGradGuard noGrad;
    const WanConfig c = smallConfig();
    const std::array<int64_t, 3> grid = {9, 16, 30};
    const TensorMap plain = initWanWeights(c, 5, false);
    TensorMap weights = plain;
    const StructuredAttention designed = structureAttention(weights, c, 5, grid);
    at::manual_seed(1);
    const at::Tensor x = at::randn({1, c.inChannels, grid[0], 2 * grid[1], 2 * grid[2]});
    const at::Tensor context = at::randn({1, c.textLen, c.textDim});
    auto measure = [&](const TensorMap& w) {
      const WanDiT dit(c, w, at::kCPU, at::kFloat);
      StructureProbe probe(64, 0.25);
      DiTForwardOptions f;
      f.attention = &probe;
      dit.forward(x, at::full({1}, 700.0), context, f);
      return probe.layers();
    };
    const auto measured = measure(weights);
    QCOMPARE(measured.size(), size_t(c.numLayers));
    int kinds[3] = {0, 0, 0};
    double plainMean = 0, mean = 0;
    for (int l = 0; l < c.numLayers; ++l) {
      for (int h = 0; h < c.numHeads; ++h) {
        const StructuredHead& d = designed.layers[l][h];
        const HeadStructure& m = measured[l][h];
        const QString what = QString("layer %1 head %2: %3, designed %4 (x%7), measured %5, SVG %6")
                                 .arg(l)
                                 .arg(h)
                                 .arg(headKindName(d.kind))
                                 .arg(d.targetFraction)
                                 .arg(m.keyFraction)
                                 .arg(m.temporal ? "temporal" : "spatial")
                                 .arg(d.sharpness);
        qInfo("%s", qPrintable(what));
        ++kinds[static_cast<int>(d.kind)];
        if (d.kind == HeadKind::Spatial) QVERIFY2(!m.temporal, qPrintable(what));
        if (d.kind == HeadKind::Temporal) QVERIFY2(m.temporal, qPrintable(what));
        QVERIFY2(m.keyFraction > 0.5 * d.targetFraction && m.keyFraction < 1.2 * d.targetFraction,
                 qPrintable(what));
        QVERIFY(d.targetFraction >= 0.1 - 1e-9 && d.targetFraction <= 0.3);
        mean += m.keyFraction / (c.numLayers * c.numHeads);
      }
    }
    QVERIFY(kinds[0] > 0 && kinds[1] > 0 && kinds[2] > 0);  // every kind is represented
    for (const auto& layer : measure(plain))
      for (const HeadStructure& m : layer) plainMean += m.keyFraction / (c.numLayers * c.numHeads);
    qInfo("mean key fraction for 95%% of the attention: structured %.3f, plain random %.3f", mean,
          plainMean);
    QVERIFY(plainMean > 0.5);
    QVERIFY(mean < 0.25);
  }
};

QTEST_GUILESS_MAIN(TestStructuredAttention)
#include "test_structured_attention.moc"
