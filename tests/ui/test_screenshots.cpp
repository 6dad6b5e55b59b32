// Screenshots of the studio on real runs of the built-in model, for docs/screenshots/. Skipped
// unless SVGEN_SCREENSHOT_DIR names a folder; run it under Xvfb so the window is drawn as on a
// desktop:
//   SVGEN_SCREENSHOT_DIR=docs/screenshots xvfb-run -a -s "-screen 0 1600x1000x24" \
//       build/tests/test_screenshots
#include "core/attention/clustering/cluster_parameters.h"
#include "core/attention/warmup.h"
#include "tests/support/test_support.h"
#include "tests/support/wan_fixture.h"

#include "core/common/process_tuning.h"

#include "ui/app_theme.h"
#include "ui/attention_explorer.h"
#include "ui/compare_player.h"
#include "ui/history_panel.h"
#include "ui/history_store.h"
#include "ui/main_window.h"
#include "ui/model_picker.h"
#include "ui/player_widget.h"
#include "ui/prompt_panel.h"
#include "ui/queue_panel.h"
#include "ui/run_queue.h"
#include "ui/sparsity_panel.h"
#include "ui/studio_controller.h"
#include "ui/token_overlay.h"

#include <QApplication>
#include <QDir>
#include <QDockWidget>
#include <QPainter>
#include <QPushButton>
#include <QScrollArea>
#include <QTabWidget>
#include <QSettings>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QtTest>

#include <memory>

using namespace svgen;
using namespace svgen::ui;

class TestScreenshots : public QObject {
  Q_OBJECT
 private slots:
  void studioDocksOnRealRuns();
  void aPastRunReopenedAfterARestart();
  void mainWindowAfterADefaultRun();
  void gpuMemoryEstimateForAWanModel();
  void startImageForAnImageToVideoModel();
  void twoExpertGuidanceForWan22();
};

namespace {

// The folder to write to, with the studio's settings and history made fresh; "" to skip.
QString prepareStudio(const char* settingsDir) {
  const QString out = qEnvironmentVariable("SVGEN_SCREENSHOT_DIR");
  if (out.isEmpty()) return out;
  QDir().mkpath(out);
  QStandardPaths::setTestModeEnabled(true);
  QSettings::setPath(QSettings::IniFormat, QSettings::UserScope,
                     QString::fromStdString(test::freshDir(settingsDir)));
  QDir(HistoryStore::defaultFolder()).removeRecursively();
  applyStudioTheme(*qApp, false);
  return out;
}

// The centroid of the clearly red pixels of a clip's first frame.
QPoint redCentre(const Video& clip) {
  long long sx = 0, sy = 0, n = 0;
  for (int y = 0; y < clip.height; ++y)
    for (int x = 0; x < clip.width; ++x) {
      const uint8_t* p = &clip.rgb[(static_cast<size_t>(y) * clip.width + x) * 3];
      if (p[0] > 160 && p[1] < 100 && p[2] < 100) sx += x, sy += y, ++n;
    }
  if (n > 0) return QPoint(int(sx / n), int(sy / n));
  qWarning("no red object in the first frame; clicking the middle");
  return QPoint(clip.width / 2, clip.height / 2);
}

// A shown studio window at the default 1280 × 800 as it lays itself out; null when it never
// appeared.
std::unique_ptr<MainWindow> openStudio() {
  auto window = std::make_unique<MainWindow>();
  window->resize(1280, 800);
  window->show();
  if (!QTest::qWaitForWindowExposed(window.get())) return nullptr;
  return window;
}

}  // namespace

void TestScreenshots::studioDocksOnRealRuns() {
  const QString out = prepareStudio("ui_screenshot_settings");
  if (out.isEmpty()) QSKIP("set SVGEN_SCREENSHOT_DIR to take the screenshots");
  const auto studio = openStudio();
  QVERIFY(studio);
  MainWindow& window = *studio;
  auto* attentionDock = window.findChild<QDockWidget*>("attentionDock");
  auto* historyDock = window.findChild<QDockWidget*>("historyDock");

  GenerationRequest r = window.promptPanel()->request();
  r.prompt = "a red circle moving right on a blue background";
  r.steps = 10;
  r.seed = 2;
  r.device = "cpu";
  window.promptPanel()->setSeedLocked(true);
  window.promptPanel()->setRequest(r);

  // A budget sweep in the queue: dense, then SVG2 at three top-p values.
  for (auto [method, topP] : std::vector<std::pair<const char*, double>>{
           {"dense", 0.9}, {"svg2", 0.95}, {"svg2", 0.8}, {"svg2", 0.5}}) {
    AttentionConfig a = window.sparsityPanel()->config();
    a.method = method;
    a.set(clustering::topP, topP);
    a.set(warmup::fraction, 0.2);
    window.sparsityPanel()->setConfig(a);
    window.addToQueue();
  }
  QSignalSpy progress(window.controller(), &StudioController::progress);
  QSignalSpy finished(window.controller(), &StudioController::finished);
  window.setQueueRunning(true);
  QTRY_VERIFY_WITH_TIMEOUT(progress.count() >= 4, 300000);
  window.queuePanel()->select(1);
  QTest::qWait(300);
  QVERIFY(window.grab().save(out + "/studio-queue.png"));

  QTRY_VERIFY_WITH_TIMEOUT(finished.count() == 4 && !window.queue()->isActive(), 900000);
  QTRY_VERIFY_WITH_TIMEOUT(window.history()->entries().size() == 4 && !window.history()->isBusy(),
                           120000);

  historyDock->raise();
  HistoryPanel* history = window.historyPanel();
  history->selectIds({window.history()->entries()[0].id});
  QTest::qWait(300);
  QVERIFY(window.grab().save(out + "/studio-history.png"));

  // The same runs as a gallery of thumbnails, filtered to SVG2.
  history->setGallery(true);
  QTest::qWait(300);
  QVERIFY(window.grab().save(out + "/studio-history-gallery.png"));
  history->setGallery(false);

  QTest::mouseClick(history->findChild<QPushButton*>("historyCompareButton"), Qt::LeftButton);
  ComparePlayer* compare = window.comparePlayer();
  QVERIFY(compare);
  QTRY_VERIFY_WITH_TIMEOUT(compare->isReady(), 60000);
  compare->resize(1000, 620);
  compare->showFrame(8);
  QTest::qWait(300);
  QVERIFY(compare->grab().save(out + "/studio-compare.png"));
  compare->close();

  // The Plots dock, when this build has it: density over layers × steps, the Pareto plot, then the
  // seconds of each step (the dense warm-up steps of the SVG2 runs against their sparse steps).
  if (auto* plotsDock = window.findChild<QDockWidget*>("plotsDock")) {
    plotsDock->raise();
    window.resizeDocks({plotsDock}, {620}, Qt::Horizontal);
    auto* tabs = plotsDock->findChild<QTabWidget*>();
    QVERIFY(tabs);
    tabs->setCurrentIndex(0);
    QTest::qWait(300);
    QVERIFY(window.grab().save(out + "/studio-plots-density.png"));
    tabs->setCurrentIndex(1);
    QTest::qWait(300);
    QVERIFY(window.grab().save(out + "/studio-plots-pareto.png"));
    tabs->setCurrentIndex(2);
    QTest::qWait(300);
    QVERIFY(window.grab().save(out + "/studio-plots-step-times.png"));
  }

  // The last run is SVG2 at top-p 0.5: a cluster head on a detail step, a token clicked.
  attentionDock->raise();
  window.resizeDocks({attentionDock}, {560}, Qt::Horizontal);
  AttentionExplorer* explorer = window.attentionExplorer();
  QVERIFY(explorer->hasRecord());
  explorer->setStep(explorer->detailSteps().back());
  explorer->selectHead(4, 1);
  QTest::qWait(200);
  TokenOverlay* overlay = explorer->tokenOverlay();
  QVERIFY(explorer->hasTokenOverlay());
  // The red circle's middle in the first frame.
  QTest::mouseClick(overlay, Qt::LeftButton, {},
                    overlay->pointForPixel(0, redCentre(window.lastResult()->video)));
  if (auto* scroll = qobject_cast<QScrollArea*>(attentionDock->widget()))
    scroll->ensureWidgetVisible(overlay, 0, 0);
  QTest::qWait(300);
  QVERIFY(window.grab().save(out + "/studio-attention.png"));
  explorer->setOverlay(AttentionExplorer::Overlay::QueryClusters);
  QTest::qWait(300);
  QVERIFY(window.grab().save(out + "/studio-attention-clusters.png"));
}

// After a restart: a new window over the kept history, the oldest SVG2 run opened from it (its
// clip in the player, its attention record in the explorer, export enabled).
void TestScreenshots::aPastRunReopenedAfterARestart() {
  const QString out = qEnvironmentVariable("SVGEN_SCREENSHOT_DIR");
  if (out.isEmpty()) QSKIP("set SVGEN_SCREENSHOT_DIR to take the screenshots");
  const auto studio = openStudio();
  QVERIFY(studio);
  MainWindow& window = *studio;
  QTRY_VERIFY_WITH_TIMEOUT(window.history()->entries().size() == 4, 10000);
  window.findChild<QDockWidget*>("historyDock")->raise();
  const QString id = window.history()->entries()[2].id;  // SVG2 at top-p 0.95
  window.historyPanel()->selectIds({id});
  window.historyPanel()->openSelected();
  QTRY_VERIFY_WITH_TIMEOUT(window.lastResult() != nullptr, 30000);
  window.player()->pause();
  window.player()->showFrame(6);
  QTest::qWait(300);
  QVERIFY(window.grab().save(out + "/studio-history-reopened.png"));
}

// The README's first look at the studio: the default clip of the example prompt, dense,
// with the Run dock's timing split; then the same window after an SVG2 run.
void TestScreenshots::mainWindowAfterADefaultRun() {
  const QString out = prepareStudio("ui_screenshot_main_settings");
  if (out.isEmpty()) QSKIP("set SVGEN_SCREENSHOT_DIR to take the screenshots");
  const auto studio = openStudio();
  QVERIFY(studio);
  MainWindow& window = *studio;
  auto* runDock = window.findChild<QDockWidget*>("runDock");
  runDock->raise();

  GenerationRequest r = window.promptPanel()->request();
  r.prompt = "a yellow star moving left on a purple background";
  r.seed = 1;
  r.device = "cpu";
  window.promptPanel()->setSeedLocked(true);
  window.promptPanel()->setRequest(r);
  AttentionConfig a = window.sparsityPanel()->config();
  a.method = "dense";
  window.sparsityPanel()->setConfig(a);
  QSignalSpy finished(window.controller(), &StudioController::finished);
  window.generate();
  QTRY_VERIFY_WITH_TIMEOUT(finished.count() == 1, 300000);
  QVERIFY(window.lastResult());
  runDock->raise();  // a finished run shows its attention; the timing split is on the Run dock
  window.player()->pause();
  window.player()->showFrame(8);
  QTest::qWait(300);
  QVERIFY(window.grab().save(out + "/studio-main.png"));

  // The Sparsity dock with SVG2's balanced budget, on another prompt.
  r.prompt = "a green square moving right on a black background";
  r.seed = 42;
  window.promptPanel()->setRequest(r);
  a.method = "svg2";
  window.sparsityPanel()->setConfig(
      SparsityPanel::presetConfig(SparsityPanel::Preset::Balanced, a));
  window.generate();
  QTRY_VERIFY_WITH_TIMEOUT(finished.count() == 2, 300000);
  runDock->raise();
  window.player()->pause();
  window.player()->showFrame(4);
  QTest::qWait(300);
  QVERIFY(window.grab().save(out + "/studio-sparsity.png"));
}

// The prompt dock with a Wan model (the tiny fixture, whose decoder is Wan's) at 720p under an
// 8 GiB budget: the per-stage estimate and the savings the run will use.
void TestScreenshots::gpuMemoryEstimateForAWanModel() {
  const QString out = prepareStudio("ui_screenshot_gpu_memory");
  if (out.isEmpty()) QSKIP("set SVGEN_SCREENSHOT_DIR to take the screenshots");
  auto studio = openStudio();
  QVERIFY(studio);
  MainWindow& window = *studio;
  PromptPanel* panel = window.promptPanel();
  QVERIFY(panel->modelPicker()->choose(
      QDir::cleanPath(QString::fromStdString(test::sourcePath("tests/fixtures/wan_tiny")))));
  GenerationRequest r = panel->request();
  r.prompt = "a cat walks on the grass";
  r.width = 1280;
  r.height = 720;
  r.frames = 81;
  r.vramGiB = 8;
  panel->setRequest(r);
  QVERIFY(panel->memoryHint().contains("To fit 8.0 GiB"));
  QTest::qWait(300);
  QVERIFY(panel->grab().save(out + "/studio-gpu-memory.png"));
}

// The prompt dock with an image-to-video model (the tiny I2V fixture) and a wide start image
// for an 832×480 clip: the thumbnail, and what the crop will keep.
void TestScreenshots::startImageForAnImageToVideoModel() {
  const QString out = prepareStudio("ui_screenshot_start_image");
  if (out.isEmpty()) QSKIP("set SVGEN_SCREENSHOT_DIR to take the screenshots");
  const std::string folder = test::freshDir("ui_screenshot_i2v_model");
  test::writeI2vFolder(folder);
  // A 2:1 picture: sky, sun and sea, drawn here.
  QImage picture(1200, 600, QImage::Format_RGB888);
  QPainter paint(&picture);
  QLinearGradient sky(0, 0, 0, 420);
  sky.setColorAt(0, QColor(40, 60, 140));
  sky.setColorAt(1, QColor(250, 170, 90));
  paint.fillRect(0, 0, 1200, 420, sky);
  paint.fillRect(0, 420, 1200, 180, QColor(30, 70, 110));
  paint.setBrush(QColor(255, 220, 120));
  paint.setPen(Qt::NoPen);
  paint.drawEllipse(QPoint(600, 400), 70, 70);
  paint.end();
  const QString image = QString::fromStdString(folder) + "/sunset.png";
  QVERIFY(picture.save(image));

  auto studio = openStudio();
  QVERIFY(studio);
  PromptPanel* panel = studio->promptPanel();
  QVERIFY(panel->modelPicker()->choose(QString::fromStdString(folder)));
  GenerationRequest r = panel->request();
  r.prompt = "the sun sets over a calm sea, waves rolling in";
  r.width = 832;
  r.height = 480;
  r.imagePath = image.toStdString();
  panel->setRequest(r);
  QCOMPARE(QString::fromStdString(panel->request().imagePath), image);
  QTest::qWait(300);
  QVERIFY(panel->grab().save(out + "/studio-start-image.png"));
}

// The prompt dock with a Wan 2.2 two-expert model (the tiny A14B-shaped fixture): the model's
// own defaults and the low-noise expert's guidance beside the high-noise one's.
void TestScreenshots::twoExpertGuidanceForWan22() {
  const QString out = prepareStudio("ui_screenshot_wan22");
  if (out.isEmpty()) QSKIP("set SVGEN_SCREENSHOT_DIR to take the screenshots");
  const std::string folder = test::freshDir("ui_screenshot_wan22_model");
  test::writeWan22Folder(folder, false);
  auto studio = openStudio();
  QVERIFY(studio);
  PromptPanel* panel = studio->promptPanel();
  QVERIFY(panel->modelPicker()->choose(QString::fromStdString(folder)));
  GenerationRequest r = panel->request();
  r.prompt = "a fox runs through fresh snow at dawn, its breath visible";
  panel->setRequest(r);
  QCOMPARE(panel->request().lowNoiseGuidance, 3.0);
  QTest::qWait(300);
  QVERIFY(panel->grab().save(out + "/studio-wan22-experts.png"));
}

// The studio's own start-up tuning (fast BLAS kernels, the allocator), so that the timings in the
// screenshots are the studio's.
int main(int argc, char** argv) {
  tuneProcess(argc, argv);
  QApplication app(argc, argv);
  app.setAttribute(Qt::AA_Use96Dpi, true);  // as QTEST_MAIN does
  TestScreenshots test;
  return QTest::qExec(&test, argc, argv);
}
#include "test_screenshots.moc"
