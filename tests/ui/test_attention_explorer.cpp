// The Attention dock offscreen: a hand-made record through toJson/parseAttentionRecord shows each
// (step, layer, head) in the decision's colour, a click selects the head under it, detail steps
// paint the frame map and SVG mask, steps without detail say which have it; and a real SVG run
// through the studio controller fills the explorer.
#include "core/attention/warmup.h"
#include "tests/support/small_clip.h"
#include "tests/support/test_support.h"

#include "core/attention/attention_recorder.h"
#include "ui/attention_colors.h"
#include "ui/attention_explorer.h"
#include "ui/head_grid.h"
#include "ui/main_window.h"
#include "ui/matrix_view.h"
#include "ui/prompt_panel.h"
#include "ui/sparsity_panel.h"
#include "ui/studio_controller.h"
#include "ui/token_overlay.h"

#include <QPushButton>

#include <QColor>
#include <QComboBox>
#include <QDockWidget>
#include <QElapsedTimer>
#include <QImage>
#include <QLabel>
#include <QSettings>
#include <QSignalSpy>
#include <QSlider>
#include <QSpinBox>
#include <QStandardPaths>
#include <QtTest>

#include <set>

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
  return std::make_shared<const std::vector<CallRecord>>(parseAttentionRecord(recorder.toJson()));
}

// One SVG2 call on a 2 × 8 × 8 token grid (a 4-frame 64 × 64 clip: 8 pixels a token), with five
// recorded rows at hand-picked tokens and four query clusters (the quadrants of each frame).
constexpr std::array<int64_t, 3> kTokenGrid = {2, 8, 8};
constexpr int kTokens = 2 * 8 * 8;
const std::vector<int32_t> kRows = {
    0 * 64 + 1 * 8 + 1,  // row 0: frame 0, y 1, x 1
    0 * 64 + 1 * 8 + 6,  // row 1: frame 0, y 1, x 6
    0 * 64 + 6 * 8 + 1,  // row 2: frame 0, y 6, x 1
    0 * 64 + 6 * 8 + 6,  // row 3: frame 0, y 6, x 6
    1 * 64 + 4 * 8 + 4,  // row 4: frame 1, y 4, x 4
};

int quadrant(int token) {
  const int y = (token / 8) % 8, x = token % 8;
  return (y / 4) * 2 + x / 4;
}

std::shared_ptr<const std::vector<CallRecord>> tokenRecord() {
  AttentionRecorder recorder;
  CallRecord c;
  c.method = "svg2";
  c.grid = kTokenGrid;
  c.detail = true;
  HeadRecord h;
  h.decision = "cluster";
  h.density = 0.5;
  h.sampledRows = kRows;
  h.rowMapPool = 1;  // 64 cells a frame: no pooling
  for (size_t r = 0; r < kRows.size(); ++r)
    for (int cell = 0; cell < kTokens; ++cell)
      h.rowMaps.push_back(cell == int(r * 7) ? 255 : cell == int(r) ? 100 : 0);
  for (int t = 0; t < kTokens; ++t) {
    h.queryLabels.push_back(quadrant(t));
    h.keyLabels.push_back(t % 3);
  }
  c.headRecords.push_back(h);
  recorder.add(c);
  return std::make_shared<const std::vector<CallRecord>>(parseAttentionRecord(recorder.toJson()));
}

QVector<QImage> greyClip(int frames) {
  QVector<QImage> clip;
  for (int t = 0; t < frames; ++t) {
    QImage image(64, 64, QImage::Format_RGB32);
    image.fill(QColor(100 + 10 * t, 100, 100));
    clip << image;
  }
  return clip;
}

QPoint centre(const QRect& r) {
  return r.center();
}

RunOutcome outcome(const QSignalSpy& finished) {
  return finished.first().first().value<RunOutcome>();
}

}  // namespace

class TestAttentionExplorer : public QObject {
  Q_OBJECT
 private slots:
  void initTestCase();
  void gridShowsTheDecisionOfEachHead();
  void clickingACellSelectsItsHead();
  void detailStepsPaintTheFrameMapAndMask();
  void mapsNameTheirAxesAndValues();
  void stepsWithoutDetailNameTheOnesWithIt();
  void masksSayTheirLayoutAndEnlarge();
  void aRealSvgRunFillsTheExplorer();
  void clickingAPixelPicksTheNearestRecordedRow();
  void clusterColouringFollowsTheLabels();
  void aRealSvg2RunHasTokenMapsAndClusters();
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
        const QColor colour = decisionColor(want);
        QCOMPARE(grid->cellColor(layer, head), colour);
        // What is painted, away from the selection frame.
        const QPoint p = centre(grid->cellRect(layer, head)) * shot.devicePixelRatio();
        QCOMPARE(shot.pixelColor(p).rgb(), colour.rgb());
      }
  }
  // Four distinct colours.
  QStringList names;
  for (const char* d : {"spatial", "temporal", "dense", "cluster"})
    names << decisionColor(d).name();
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
      const QColor want = heatColor(mapValue(layer, head, r, c) / max);
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

// Readable without the code (issue 22, item 5): axes named and numbered from 1, hover values, a
// colour scale under the heat map, and a wide mask that does not shrink to a strip.
void TestAttentionExplorer::mapsNameTheirAxesAndValues() {
  MatrixView map(MatrixView::Style::Heat);
  map.setAxes("query frame", "key frame");
  map.setMatrix(3, 4, {0.f, 0.1f, 0.2f, 0.3f, 0.4f, 0.5f, 0.6f, 0.7f, 0.8f, 0.9f, 1.f, 0.25f});
  map.resize(200, map.heightForWidth(200));
  map.show();
  QCOMPARE(map.valueTextAt(map.cellRect(1, 2).center()),
           QString("query frame 2, key frame 3: 0.600"));
  QVERIFY(map.valueTextAt(QPoint(1, 1)).isEmpty());  // the axis band, not a cell
  // The scale runs under the cells, from the coldest colour to the hottest.
  const QImage image = map.grab().toImage();
  const QRect cells = map.cellRect(2, 3).united(map.cellRect(0, 0));
  const int y = cells.bottom() + 10;
  const int barRight = cells.left() + 24 + std::max(8, cells.width() - 72) - 1;
  QCOMPARE(image.pixelColor(cells.left() + 24, y).rgb(), heatColor(0).rgb());
  QCOMPARE(image.pixelColor(barRight, y).rgb(), heatColor(1).rgb());

  MatrixView mask(MatrixView::Style::Mask);
  mask.setMatrix(32, 256, std::vector<float>(32 * 256, 1.f));
  mask.resize(300, mask.heightForWidth(300));
  QVERIFY(mask.height() >= 96);
  QVERIFY2(mask.cellRect(0, 0).height() >= 2, "a 32-row mask drawn as a strip");
  QVERIFY(mask.valueTextAt(mask.cellRect(31, 255).center()).endsWith(": kept"));
}

// Spatial and temporal masks looked alike, masks and maps were too small to read, and the token
// overlay's frames were ~73 px wide (issue 22, item 5).
void TestAttentionExplorer::masksSayTheirLayoutAndEnlarge() {
  AttentionExplorer explorer;
  explorer.resize(360, 800);
  explorer.show();
  explorer.setRecord(handMadeRecord());
  explorer.setStep(2);
  auto* caption = explorer.findChild<QLabel*>("maskCaption");
  QVERIFY(caption);
  MatrixView* mask = explorer.blockMaskView();
  explorer.selectHead(1, 2);  // spatial
  QCOMPARE(mask->colorAt(0, 0), decisionColor("spatial"));
  QVERIFY2(caption->text().contains("frame order"), qPrintable(caption->text()));
  explorer.selectHead(1, 0);  // temporal
  QCOMPARE(mask->colorAt(0, 0), decisionColor("temporal"));
  QVERIFY2(caption->text().contains("position-major"), qPrintable(caption->text()));
  QVERIFY(decisionColor("temporal") != decisionColor("spatial"));

  // A double-click opens the mask in a window of its own, big enough to hover each cell.
  QTest::mouseDClick(mask, Qt::LeftButton, {}, centre(mask->cellRect(0, 0)));
  auto* big = mask->findChild<MatrixView*>("blockMaskEnlarged");
  QVERIFY(big);
  QVERIFY(QTest::qWaitForWindowExposed(big->window()));
  QCOMPARE(big->values(), mask->values());
  QCOMPARE(big->colorAt(0, 0), decisionColor("temporal"));
  QVERIFY(big->cellRect(0, 0).width() > 2 * mask->cellRect(0, 0).width());
  QVERIFY(big->valueTextAt(centre(big->cellRect(1, 2))).contains("query block 2"));
  big->window()->close();

  // The token overlay moves to a window of its own and back, keeping what it shows.
  TokenOverlay* overlay = explorer.tokenOverlay();
  const int docked = overlay->width();
  QVERIFY(!explorer.isOverlayEnlarged());
  QTest::mouseClick(explorer.findChild<QPushButton*>("overlayEnlarge"), Qt::LeftButton);
  QVERIFY(explorer.isOverlayEnlarged());
  QVERIFY(overlay->window() != explorer.window());
  QVERIFY(QTest::qWaitForWindowExposed(overlay->window()));
  QTRY_VERIFY(overlay->width() > 2 * docked);
  overlay->window()->close();
  QTRY_VERIFY(!explorer.isOverlayEnlarged());
  QCOMPARE(overlay->window(), explorer.window());
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
  // Steps are counted from 1 everywhere, as the Run dock's progress counts them (issue 22,
  // item 5: the slider said step 0 where the progress said step 1).
  QVERIFY2(text.contains("Step 2 has no detail") && text.contains("1, 3"), qPrintable(text));
  QCOMPARE(explorer.findChild<QLabel*>("stepLabel")->text(), QString("Step 2"));
  // Each view says in a line what it shows.
  QStringList captions;
  for (const QLabel* label : explorer.findChildren<QLabel*>()) captions << label->text();
  QVERIFY(captions.join('\n').contains("attend to each key frame"));

  // A new record opens on a step with detail, not on the detail-less step shown before.
  explorer.setRecord(handMadeRecord());
  QCOMPARE(explorer.currentStep(), 0);
  explorer.setStep(2);
  explorer.setRecord(handMadeRecord());
  QCOMPARE(explorer.currentStep(), 2);  // kept: it has detail

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

  test::useSmallClip(window, "a red circle moving right on a blue background", 7);
  AttentionConfig attention = window.sparsityPanel()->config();
  attention.method = "svg";
  attention.set(warmup::fraction, 0);
  attention.set(warmup::layers, 0);
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

void TestAttentionExplorer::clickingAPixelPicksTheNearestRecordedRow() {
  AttentionExplorer explorer;
  explorer.resize(380, 1000);
  explorer.show();
  explorer.setClip(greyClip(4));
  explorer.setRecord(tokenRecord());
  QVERIFY(QTest::qWaitForWindowExposed(&explorer));
  QVERIFY(explorer.hasTokenOverlay());
  TokenOverlay* overlay = explorer.tokenOverlay();
  QVERIFY(overlay->isVisibleTo(&explorer));
  QVERIFY(overlay->width() > 0);

  struct Click {
    int tile;      // token frame (tile) clicked
    QPoint pixel;  // image pixel in that tile
    int token;     // worked out by hand: frame·64 + (y / 8)·8 + x / 8
    int row;       // the nearest recorded row, by hand
  };
  const std::vector<Click> clicks = {
      // (0, y 1, x 6) is row 1 itself.
      {0, {50, 13}, 0 * 64 + 1 * 8 + 6, 1},
      // (0, y 5, x 2): squared distances to rows 0–3 are 17, 32, 2, 17 → row 2.
      {0, {20, 44}, 0 * 64 + 5 * 8 + 2, 2},
      // (1, y 7, x 0): row 2 is closer on the picture but in frame 0; frame 1's only row is 4.
      {1, {3, 60}, 1 * 64 + 7 * 8 + 0, 4},
  };
  for (const Click& c : clicks) {
    QTest::mouseClick(overlay, Qt::LeftButton, {}, overlay->pointForPixel(c.tile, c.pixel));
    QCOMPARE(explorer.selectedToken(), c.token);
    QCOMPARE(explorer.selectedRecordedRow(), c.row);
    QCOMPARE(nearestRecordedRow(kRows, kTokenGrid, c.token), c.row);
    // The heat map is that row's map.
    std::vector<uint8_t> want(kTokens, 0);
    want[size_t(c.row)] = 100;
    want[size_t(c.row * 7)] = 255;
    QCOMPARE(overlay->heat(), want);
    const QString text = explorer.tokenText();
    QVERIFY2(text.contains(QString("token %1 ").arg(c.token)) &&
                 text.contains(QString("recorded row %1 of 5").arg(c.row)) &&
                 text.contains(QString("token %1 ").arg(kRows[size_t(c.row)])),
             qPrintable(text));
  }
  // The hottest cell of row 4 (cell 28: frame 0, y 3, x 4) is painted in the top of the ramp.
  const QImage shot = overlay->grab().toImage();
  const QPoint hot = centre(overlay->tokenRect(28)) * shot.devicePixelRatio();
  const QPoint cold = centre(overlay->tokenRect(40)) * shot.devicePixelRatio();
  QVERIFY(qGray(shot.pixel(hot)) > qGray(shot.pixel(cold)) + 40);
}

void TestAttentionExplorer::clusterColouringFollowsTheLabels() {
  AttentionExplorer explorer;
  explorer.resize(380, 1000);
  explorer.show();
  explorer.setClip(greyClip(4));
  explorer.setRecord(tokenRecord());
  QVERIFY(QTest::qWaitForWindowExposed(&explorer));
  TokenOverlay* overlay = explorer.tokenOverlay();
  explorer.setOverlay(AttentionExplorer::Overlay::QueryClusters);
  QCOMPARE(explorer.overlay(), AttentionExplorer::Overlay::QueryClusters);
  QVERIFY(overlay->heat().empty());
  QCOMPARE(int(overlay->labels().size()), kTokens);
  for (int t = 0; t < kTokens; ++t) QCOMPARE(overlay->labels()[size_t(t)], quadrant(t));
  QVERIFY2(explorer.tokenText().contains("query cluster (4)"), qPrintable(explorer.tokenText()));
  const QImage shot = overlay->grab().toImage();
  auto colourOf = [&](int token) {
    return shot.pixel(centre(overlay->tokenRect(token)) * shot.devicePixelRatio());
  };
  // Same frame picture, same cluster: same colour; another cluster: another colour.
  QCOMPARE(colourOf(0), colourOf(1));
  QCOMPARE(colourOf(0), colourOf(3 * 8 + 3));
  QVERIFY(colourOf(0) != colourOf(5));
  QVERIFY(colourOf(5) != colourOf(5 * 8 + 5));
  QVERIFY(TokenOverlay::labelColor(0) != TokenOverlay::labelColor(1));

  explorer.setOverlay(AttentionExplorer::Overlay::KeyClusters);
  QCOMPARE(overlay->labels()[7], 7 % 3);
  // A click goes back to where the token attends.
  QTest::mouseClick(overlay, Qt::LeftButton, {}, overlay->pointForPixel(0, {50, 13}));
  QCOMPARE(explorer.overlay(), AttentionExplorer::Overlay::Attention);
  QCOMPARE(explorer.selectedRecordedRow(), 1);
}

void TestAttentionExplorer::aRealSvg2RunHasTokenMapsAndClusters() {
  MainWindow window;
  window.show();
  test::useSmallClip(window, "a blue ring moving down on a yellow background", 3);
  AttentionConfig attention = window.sparsityPanel()->config();
  attention.method = "svg2";
  attention.set(warmup::fraction, 0);
  window.sparsityPanel()->setConfig(attention);
  QSignalSpy finished(window.controller(), &StudioController::finished);
  window.generate();
  QTRY_COMPARE_WITH_TIMEOUT(finished.count(), 1, kRunTimeoutMs);
  AttentionExplorer* explorer = window.attentionExplorer();
  QVERIFY(explorer->hasRecord());
  explorer->setStep(explorer->detailSteps().front());
  explorer->selectHead(1, 1);
  const HeadRecord* h = explorer->grid()->headAt(1, 1);
  QVERIFY(h);
  QCOMPARE(QString::fromStdString(h->decision), QString("cluster"));
  const std::array<int64_t, 3> grid = outcome(finished).attention->front().grid;
  const int tokens = int(grid[0] * grid[1] * grid[2]);
  QCOMPARE(int(h->sampledRows.size()), std::min(64, tokens));
  const int p = h->rowMapPool;
  const size_t cells = size_t(grid[0] * ((grid[1] + p - 1) / p) * ((grid[2] + p - 1) / p));
  QCOMPARE(h->rowMaps.size(), h->sampledRows.size() * cells);
  // Every frame has recorded rows, spread over the frame (not one column).
  std::set<int> frames, columns;
  for (int32_t r : h->sampledRows) {
    frames.insert(tokenPosition(r, grid).frame);
    columns.insert(tokenPosition(r, grid).x);
  }
  QCOMPARE(int(frames.size()), int(grid[0]));
  QVERIFY(columns.size() > 2);
  QVERIFY(explorer->hasTokenOverlay());
  TokenOverlay* overlay = explorer->tokenOverlay();
  const int token = tokenIndex({int(grid[0]) - 1, 0, int(grid[2]) - 1}, grid);
  explorer->selectToken(token);
  const int row = explorer->selectedRecordedRow();
  QCOMPARE(row, nearestRecordedRow(h->sampledRows, grid, token));
  QCOMPARE(overlay->heat(),
           std::vector<uint8_t>(h->rowMaps.begin() + ptrdiff_t(row * cells),
                                h->rowMaps.begin() + ptrdiff_t((row + 1) * cells)));
  QCOMPARE(*std::max_element(overlay->heat().begin(), overlay->heat().end()), uint8_t{255});
  explorer->setOverlay(AttentionExplorer::Overlay::QueryClusters);
  QCOMPARE(overlay->labels(), h->queryLabels);
  QCOMPARE(int(h->queryLabels.size()), tokens);
}

QTEST_MAIN(TestAttentionExplorer)
#include "test_attention_explorer.moc"
