// The Attention dock offscreen: a hand-made record through toJson/parse shows each (step, layer,
// head) in the decision's colour, a click selects the head under it, detail steps paint the frame
// map and SVG mask, steps without detail say which have it; and a real SVG run through the studio
// controller fills the explorer.
#include "tests/support/test_support.h"

#include "core/attention/attention_recorder.h"
#include "ui/attention_explorer.h"
#include "ui/main_window.h"
#include "ui/prompt_panel.h"
#include "ui/sparsity_panel.h"
#include "ui/studio_controller.h"

#include <QComboBox>
#include <QDockWidget>
#include <QElapsedTimer>
#include <QImage>
#include <QSettings>
#include <QSignalSpy>
#include <QSlider>
#include <QSpinBox>
#include <QStandardPaths>
#include <QtTest>

using namespace svgen;
using namespace svgen::ui;

namespace {

constexpr int kRunTimeoutMs = 180000;
constexpr int kLayers = 3, kHeads = 4, kFrames = 3;

// decision of (step, layer, head) in the hand-made record.
std::string decisionOf(int step, int layer, int head) {
  if (step == 0) return "dense";
  static const char* kinds[] = {"spatial", "temporal", "cluster"};
  return kinds[(layer + head) % 3];
}

float mapValue(int layer, int head, int row, int col) {
  return 0.01f * float(1 + layer * 40 + head * 9 + row * kFrames + col);
}

// Steps 0 (dense, detail), 1 (no detail), 2 (detail); batch 2, so head records run to 2 × heads.
std::shared_ptr<const std::vector<CallRecord>> handMadeRecord() {
  AttentionRecorder recorder;
  for (int step = 0; step < 3; ++step)
    for (int layer = 0; layer < kLayers; ++layer) {
      CallRecord c;
      c.step = step;
      c.layer = layer;
      c.method = "svg";
      c.grid = {kFrames, 2, 2};
      c.batch = 2;
      c.heads = kHeads;
      c.detail = step != 1;
      for (int i = 0; i < 2 * kHeads; ++i) {
        HeadRecord h;
        h.index = i;
        // The unconditional batch would paint the wrong colour if it were shown.
        h.decision = i < kHeads ? decisionOf(step, layer, i) : "dense";
        h.density = 0.1 * (1 + (i % kHeads));
        if (step > 0) {
          h.spatialError = 0.001 * (layer + 1);
          h.temporalError = 0.002 * (i + 1);
        }
        if (c.detail && i < kHeads) {
          for (int r = 0; r < kFrames; ++r)
            for (int col = 0; col < kFrames; ++col)
              h.frameMap.push_back(mapValue(layer, i, r, col));
          h.maskRows = 2;
          h.maskCols = 3;
          h.blockMask = {1, 0, 1, 0, 1, 1};
        }
        if (h.decision == "cluster") {
          h.queryClusterSizes = {4, 8};
          h.keyClusterSizes = {3, 3, 6};
        }
        c.headRecords.push_back(h);
      }
      recorder.add(c);
    }
  return std::make_shared<const std::vector<CallRecord>>(
      AttentionRecorder::parse(recorder.toJson()));
}

QPoint centre(const QRect& r) {
  return r.center();
}

}  // namespace

class TestAttentionExplorer : public QObject {
  Q_OBJECT
 private slots:
  void initTestCase();
  void gridShowsTheDecisionOfEachHead();
  void clickingACellSelectsItsHead();
  void detailStepsPaintTheFrameMapAndMask();
  void stepsWithoutDetailNameTheOnesWithIt();
  void aRealSvgRunFillsTheExplorer();
};

void TestAttentionExplorer::initTestCase() {
  QStandardPaths::setTestModeEnabled(true);
  QSettings::setPath(QSettings::IniFormat, QSettings::UserScope,
                     QString::fromStdString(test::freshDir("ui_attention_settings")));
}

void TestAttentionExplorer::gridShowsTheDecisionOfEachHead() {
  AttentionExplorer explorer;
  explorer.resize(360, 700);
  explorer.show();
  QVERIFY(!explorer.hasRecord());
  explorer.setRecord(handMadeRecord());
  QCOMPARE(explorer.steps(), (std::vector<int>{0, 1, 2}));
  QCOMPARE(explorer.detailSteps(), (std::vector<int>{0, 2}));
  QCOMPARE(explorer.currentStep(), 0);  // opens on the first detail step
  HeadGrid* grid = explorer.grid();
  QCOMPARE(grid->layers(), kLayers);
  QCOMPARE(grid->heads(), kHeads);  // the conditional batch only
  for (int step : explorer.steps()) {
    explorer.setStep(step);
    QCOMPARE(explorer.currentStep(), step);
    const QImage shot = grid->grab().toImage();
    for (int layer = 0; layer < kLayers; ++layer)
      for (int head = 0; head < kHeads; ++head) {
        const QString want = QString::fromStdString(decisionOf(step, layer, head));
        QCOMPARE(QString::fromStdString(grid->headAt(layer, head)->decision), want);
        const QColor colour = AttentionExplorer::decisionColor(want);
        QCOMPARE(grid->cellColor(layer, head), colour);
        // What is painted, away from the selection frame.
        const QPoint p = centre(grid->cellRect(layer, head)) * shot.devicePixelRatio();
        QCOMPARE(shot.pixelColor(p).rgb(), colour.rgb());
      }
  }
  // Four distinct colours.
  QStringList names;
  for (const char* d : {"spatial", "temporal", "dense", "cluster"})
    names << AttentionExplorer::decisionColor(d).name();
  names.removeDuplicates();
  QCOMPARE(names.size(), 4);
}

void TestAttentionExplorer::clickingACellSelectsItsHead() {
  AttentionExplorer explorer;
  explorer.resize(360, 700);
  explorer.show();
  explorer.setRecord(handMadeRecord());
  explorer.setStep(2);
  for (const auto& [layer, head] : std::vector<std::pair<int, int>>{{2, 3}, {0, 1}, {1, 0}}) {
    QTest::mouseClick(explorer.grid(), Qt::LeftButton, {},
                      centre(explorer.grid()->cellRect(layer, head)));
    QCOMPARE(explorer.selectedLayer(), layer);
    QCOMPARE(explorer.selectedHead(), head);
    QVERIFY2(explorer.detailText().startsWith(QString::fromStdString(decisionOf(2, layer, head))),
             qPrintable(explorer.detailText()));
  }
  // The selection stays through step changes.
  explorer.setStep(0);
  QCOMPARE(explorer.selectedLayer(), 1);
  QCOMPARE(explorer.selectedHead(), 0);
}

void TestAttentionExplorer::detailStepsPaintTheFrameMapAndMask() {
  AttentionExplorer explorer;
  explorer.resize(360, 800);
  explorer.show();
  explorer.setRecord(handMadeRecord());
  explorer.setStep(2);
  const int layer = 1, head = 2;  // (1 + 2) % 3 = 0: spatial
  explorer.selectHead(layer, head);
  MatrixView* map = explorer.frameMapView();
  QVERIFY(map->isVisibleTo(&explorer));
  QCOMPARE(map->rows(), kFrames);
  QCOMPARE(map->cols(), kFrames);
  float max = 0;
  for (int r = 0; r < kFrames; ++r)
    for (int c = 0; c < kFrames; ++c) max = std::max(max, mapValue(layer, head, r, c));
  QApplication::processEvents();
  const QImage shot = map->grab().toImage();
  for (int r = 0; r < kFrames; ++r)
    for (int c = 0; c < kFrames; ++c) {
      QCOMPARE(map->values()[size_t(r * kFrames + c)], mapValue(layer, head, r, c));
      const QColor want = AttentionExplorer::heatColor(mapValue(layer, head, r, c) / max);
      QCOMPARE(map->colorAt(r, c), want);
      const QPoint p = centre(map->cellRect(r, c)) * shot.devicePixelRatio();
      QCOMPARE(shot.pixelColor(p).rgb(), want.rgb());
    }
  // The brightest cell is the last one, and it is brighter than the first.
  QVERIFY(qGray(map->colorAt(kFrames - 1, kFrames - 1).rgb()) > qGray(map->colorAt(0, 0).rgb()));

  MatrixView* mask = explorer.blockMaskView();
  QVERIFY(mask->isVisibleTo(&explorer));
  QCOMPARE(mask->rows(), 2);
  QCOMPARE(mask->cols(), 3);
  QCOMPARE(mask->values(), (std::vector<float>{1, 0, 1, 0, 1, 1}));
  QVERIFY(mask->colorAt(0, 0) != mask->colorAt(0, 1));

  const QString text = explorer.detailText();
  QVERIFY2(text.contains("spatial") && text.contains("30.0%") && text.contains("0.002") &&
               text.contains("0.006"),
           qPrintable(text));
  QVERIFY2(!text.contains("no detail"), qPrintable(text));

  // A cluster head names its cluster counts.
  explorer.selectHead(0, 2);
  QVERIFY2(explorer.detailText().contains("cluster") &&
               explorer.detailText().contains("2 (sizes 4–8) query") &&
               explorer.detailText().contains("3 (sizes 3–6) key"),
           qPrintable(explorer.detailText()));
}

void TestAttentionExplorer::stepsWithoutDetailNameTheOnesWithIt() {
  AttentionExplorer explorer;
  explorer.resize(360, 700);
  explorer.show();
  explorer.setRecord(handMadeRecord());
  explorer.setStep(1);
  explorer.selectHead(2, 1);
  QVERIFY(!explorer.frameMapView()->isVisibleTo(&explorer));
  QVERIFY(!explorer.blockMaskView()->isVisibleTo(&explorer));
  const QString text = explorer.detailText();
  QVERIFY2(text.contains("Step 1 has no detail") && text.contains("0, 2"), qPrintable(text));

  // No record: the explorer says so and shows nothing.
  explorer.setRecord(nullptr);
  QVERIFY(!explorer.hasRecord());
  QCOMPARE(explorer.grid()->layers(), 0);
  QVERIFY(!explorer.findChild<QSlider*>("stepSlider")->isEnabled());
}

void TestAttentionExplorer::aRealSvgRunFillsTheExplorer() {
  MainWindow window;
  window.show();
  auto* dock = window.findChild<QDockWidget*>("attentionDock");
  QVERIFY(dock);
  QVERIFY(window.attentionExplorer());
  QVERIFY(!window.attentionExplorer()->hasRecord());

  GenerationRequest request = window.promptPanel()->request();
  request.prompt = "a red circle moving right on a blue background";
  request.negativePrompt.clear();
  request.frames = 4;
  request.width = request.height = 64;
  request.steps = 2;
  request.seed = 7;
  request.device = "cpu";
  window.promptPanel()->setSeedLocked(true);
  window.promptPanel()->setRequest(request);
  AttentionConfig attention = window.sparsityPanel()->config();
  attention.method = "svg";
  attention.warmupFraction = 0;
  attention.warmupLayers = 0;
  window.sparsityPanel()->setConfig(attention);
  QSignalSpy finished(window.controller(), &StudioController::finished);
  QSignalSpy failed(window.controller(), &StudioController::failed);

  window.generate();
  QTRY_VERIFY_WITH_TIMEOUT(finished.count() + failed.count() == 1, kRunTimeoutMs);
  QVERIFY2(failed.isEmpty(), failed.isEmpty() ? "" : qPrintable(failed.first().at(1).toString()));
  const auto outcome = finished.first().first().value<RunOutcome>();
  QVERIFY(outcome.attention);
  QVERIFY(!outcome.attention->empty());
  // The temporary record's path stays out of the clip's settings.
  QVERIFY(outcome.result->request.recordAttentionPath.empty());

  AttentionExplorer* explorer = window.attentionExplorer();
  QVERIFY(explorer->hasRecord());
  QCOMPARE(explorer->steps(), (std::vector<int>{0, 1}));
  QVERIFY(!explorer->detailSteps().empty());
  QVERIFY(explorer->grid()->layers() > 0);
  QVERIFY(explorer->grid()->heads() > 0);
  int sparse = 0;
  for (int step : explorer->steps()) {
    explorer->setStep(step);
    for (int l = 0; l < explorer->grid()->layers(); ++l)
      for (int h = 0; h < explorer->grid()->heads(); ++h) {
        const HeadRecord* r = explorer->grid()->headAt(l, h);
        QVERIFY(r);
        const QString d = QString::fromStdString(r->decision);
        QVERIFY2(d == "spatial" || d == "temporal" || d == "dense", qPrintable(d));
        sparse += d != "dense";
      }
  }
  QVERIFY(sparse > 0);  // no warm-up: SVG decides from the first step
  explorer->setStep(explorer->detailSteps().front());
  explorer->selectHead(0, 0);
  const int frames = int(outcome.attention->front().grid[0]);
  MatrixView* map = explorer->frameMapView();
  QCOMPARE(map->rows(), frames);
  QCOMPARE(map->cols(), frames);
  QCOMPARE(map->values().size(), size_t(frames * frames));
  for (int r = 0; r < frames; ++r) {
    double sum = 0;
    for (int c = 0; c < frames; ++c) sum += map->values()[size_t(r * frames + c)];
    QVERIFY(std::abs(sum - 1) < 1e-3);  // each query frame's attention sums to 1
  }
  // Sparse heads keep their block mask; selecting one shows it.
  for (int l = 0; l < explorer->grid()->layers(); ++l)
    for (int h = 0; h < explorer->grid()->heads(); ++h)
      if (explorer->grid()->headAt(l, h)->maskRows > 0) {
        explorer->selectHead(l, h);
        QVERIFY(explorer->blockMaskView()->isVisibleTo(explorer));
        QVERIFY(explorer->blockMaskView()->rows() > 0);
        return;
      }
  QFAIL("no head of the detail step kept a block mask");
}

QTEST_MAIN(TestAttentionExplorer)
#include "test_attention_explorer.moc"
