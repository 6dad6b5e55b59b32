// The studio end to end, offscreen: real runs on the built-in model through the worker thread,
// with the UI thread watched for stalls; cancel, errors, settings and export as a user meets them.
#include "tests/support/test_support.h"

#include "core/io/video_export.h"
#include "core/io/video_reader.h"
#include "core/pipeline/request_json.h"
#include "ui/error_dialog.h"
#include "ui/frame_view.h"
#include "ui/history_store.h"
#include "ui/main_window.h"
#include "ui/player_widget.h"
#include "ui/prompt_panel.h"
#include "ui/run_panel.h"
#include "ui/stepped_spin_box.h"
#include "ui/studio_controller.h"
#include "ui/time_format.h"

#include <QDockWidget>
#include <QElapsedTimer>
#include <QFileInfo>
#include <QPlainTextEdit>
#include <QSettings>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QTimer>
#include <QtTest>

#include <algorithm>
#include <memory>

using namespace svgen;
using namespace svgen::ui;

namespace {

constexpr int kRunTimeoutMs = 180000;
constexpr int kTinyFrames = 3;
constexpr int kTinySteps = 2;

// Records the longest gap between ticks of a 10 ms timer on the UI thread: how long the UI could
// not react to anything.
class StallMeter : public QObject {
 public:
  StallMeter() {
    timer_.setTimerType(Qt::PreciseTimer);
    timer_.setInterval(10);
    connect(&timer_, &QTimer::timeout, this,
            [this] { longest_ = std::max(longest_, clock_.restart()); });
    clock_.start();
    timer_.start();
  }
  qint64 longestMs() const { return longest_; }

 private:
  QTimer timer_;
  QElapsedTimer clock_;
  qint64 longest_ = 0;
};

// The smallest run the built-in model accepts, so runs take a second or two on two cores.
GenerationRequest tinyRequest(const PromptPanel& panel) {
  GenerationRequest r = panel.request();
  const ModelInfo& info = panel.modelInfo();
  r.prompt = "a red circle moving right on a blue background";
  r.negativePrompt.clear();
  r.frames = kTinyFrames;
  r.width = r.height = std::max(info.minSize, info.sizeMultiple);
  r.steps = kTinySteps;
  r.seed = 7;
  r.device = "cpu";
  return r;
}

void useRequest(MainWindow& window, const GenerationRequest& r) {
  window.promptPanel()->setSeedLocked(true);
  window.promptPanel()->setRequest(r);
}

}  // namespace

class TestStudio : public QObject {
  Q_OBJECT
 private slots:
  void initTestCase();
  void init();
  void helpers();
  void generationKeepsTheUiResponsive();
  void cancelStopsQuickly();
  void inputErrorIsShownAndTheAppKeepsWorking();
  void shortcutsStartAndCancel();
  void settingsAndDocksRoundTrip();
  void exportWritesAClipWithSettings();
  void closingDuringARunStopsTheThread();

 private:
  QString settingsDir_;
};

void TestStudio::initTestCase() {
  QStandardPaths::setTestModeEnabled(true);
  settingsDir_ = QString::fromStdString(test::freshDir("ui_settings"));
}

void TestStudio::init() {
  // Every test starts without remembered settings, so none depends on another's leftovers.
  QSettings::setPath(QSettings::IniFormat, QSettings::UserScope, settingsDir_);
  QDir(settingsDir_).removeRecursively();
  QDir().mkpath(settingsDir_);
  // Runs are kept in the (test-mode) history; start each test without the last run's.
  QDir(HistoryStore::defaultFolder()).removeRecursively();
}

void TestStudio::helpers() {
  QCOMPARE(formatDuration(12.4), QString("00:12"));
  QCOMPARE(formatDuration(3723), QString("1:02:03"));
  QCOMPARE(formatDuration(-1), QString("--:--"));

  QCOMPARE(FrameView::displaySize({128, 128}, {700, 500}), QSize(384, 384));
  QCOMPARE(FrameView::displaySize({1280, 720}, {640, 640}), QSize(640, 360));

  SteppedSpinBox frames;
  frames.setGrid(4, 1, 0, 83);  // Wan: 4k + 1
  QCOMPARE(frames.minimum(), 1);
  QCOMPARE(frames.maximum(), 81);
  QCOMPARE(frames.snapped(30), 29);
  QCOMPARE(frames.snapped(32), 33);
  QString typed = "32";
  int pos = 2;
  QCOMPARE(frames.validate(typed, pos), QValidator::Intermediate);

  QVERIFY(adviceFor(FailureKind::Runtime, "CUDA out of memory").contains("fewer frames"));
  QVERIFY(adviceFor(FailureKind::Input, "width 100 is not a multiple of 16").contains("setting"));
}

void TestStudio::generationKeepsTheUiResponsive() {
  MainWindow window;
  window.show();
  const GenerationRequest request = tinyRequest(*window.promptPanel());
  useRequest(window, request);
  QSignalSpy finished(window.controller(), &StudioController::finished);
  QSignalSpy progress(window.controller(), &StudioController::progress);
  QSignalSpy previews(window.controller(), &StudioController::preview);

  StallMeter meter;
  window.generate();
  QVERIFY(window.controller()->isRunning());
  QTRY_COMPARE_WITH_TIMEOUT(finished.count(), 1, kRunTimeoutMs);
  qInfo("longest UI stall during a run: %lld ms", meter.longestMs());
  QVERIFY2(meter.longestMs() < 250, qPrintable(QString::number(meter.longestMs())));

  const auto outcome = finished.first().first().value<RunOutcome>();
  QVERIFY(outcome.result);
  QCOMPARE(outcome.result->video.frames, request.frames);
  QCOMPARE(outcome.result->video.width, request.width);
  QCOMPARE(int(outcome.frames.size()), request.frames);
  QCOMPARE(outcome.frames.first().size(), QSize(request.width, request.height));
  QCOMPARE(progress.count(), request.steps);
  QVERIFY(previews.count() >= 1);
  QCOMPARE(window.player()->frameCount(), request.frames);
  QVERIFY(!window.runPanel()->previewImage().isNull());
  // A finished run says how many steps it took (no ETA left to give).
  QVERIFY2(window.runPanel()->progressText().startsWith(QString("%1 steps — ").arg(request.steps)),
           qPrintable(window.runPanel()->progressText()));
  QVERIFY(!window.controller()->isRunning());
}

void TestStudio::cancelStopsQuickly() {
  MainWindow window;
  GenerationRequest request = tinyRequest(*window.promptPanel());
  // Long enough that it cannot finish on its own while the test waits for the cancel.
  request.frames = 16;
  request.width = request.height = 128;
  request.steps = 100;
  useRequest(window, request);
  QSignalSpy progress(window.controller(), &StudioController::progress);
  QSignalSpy cancelled(window.controller(), &StudioController::cancelled);
  QSignalSpy finished(window.controller(), &StudioController::finished);

  window.generate();
  QTRY_VERIFY_WITH_TIMEOUT(progress.count() >= 1, kRunTimeoutMs);
  QElapsedTimer sinceCancel;
  sinceCancel.start();
  window.cancel();
  QTRY_COMPARE_WITH_TIMEOUT(cancelled.count(), 1, 10000);
  qInfo("cancel took %lld ms", sinceCancel.elapsed());
  QVERIFY(sinceCancel.elapsed() < 3000);
  QCOMPARE(finished.count(), 0);
  QVERIFY(!window.controller()->isRunning());
  QVERIFY(!window.lastResult());
  QCOMPARE(window.runPanel()->stageText(), QString("Cancelled"));
}

void TestStudio::inputErrorIsShownAndTheAppKeepsWorking() {
  MainWindow window;
  window.show();
  GenerationRequest request = tinyRequest(*window.promptPanel());
  request.prompt = "a red zeppelin moving right";
  useRequest(window, request);
  QSignalSpy failed(window.controller(), &StudioController::failed);
  QSignalSpy finished(window.controller(), &StudioController::finished);

  window.generate();
  QTRY_COMPARE_WITH_TIMEOUT(failed.count(), 1, kRunTimeoutMs);
  const QString message = failed.first().at(1).toString();
  QVERIFY2(message.contains("zeppelin"), qPrintable(message));
  QCOMPARE(failed.first().at(2).value<FailureKind>(), FailureKind::Input);
  QVERIFY(window.errorDialog());
  QVERIFY(window.errorDialog()->isVisible());
  QVERIFY(window.errorDialog()->detailedText().contains("zeppelin") ||
          window.errorDialog()->informativeText().contains("zeppelin"));
  window.errorDialog()->accept();

  request.prompt = "a red circle moving right";
  useRequest(window, request);
  window.generate();
  QTRY_COMPARE_WITH_TIMEOUT(finished.count(), 1, kRunTimeoutMs);
  QCOMPARE(finished.first().first().value<RunOutcome>().result->video.frames, request.frames);
}

void TestStudio::shortcutsStartAndCancel() {
  MainWindow window;
  GenerationRequest request = tinyRequest(*window.promptPanel());
  request.steps = 100;
  useRequest(window, request);
  window.show();
  window.activateWindow();
  if (!QTest::qWaitForWindowActive(&window)) QSKIP("this platform cannot activate windows");
  auto* prompt = window.findChild<QPlainTextEdit*>("prompt");
  QVERIFY(prompt);
  prompt->setFocus();
  QSignalSpy running(window.controller(), &StudioController::runningChanged);
  QSignalSpy cancelled(window.controller(), &StudioController::cancelled);

  // Typed in the prompt field, Ctrl+Return must reach the window, not become a new line.
  QTest::keyClick(prompt, Qt::Key_Return, Qt::ControlModifier);
  QCOMPARE(running.count(), 1);
  QVERIFY(!prompt->toPlainText().contains('\n'));
  QTest::keyClick(prompt, Qt::Key_Escape);
  QTRY_COMPARE_WITH_TIMEOUT(cancelled.count(), 1, kRunTimeoutMs);
}

void TestStudio::settingsAndDocksRoundTrip() {
  QByteArray savedState;
  GenerationRequest edited;
  {
    MainWindow first;
    first.show();
    QVERIFY(QTest::qWaitForWindowExposed(&first));
    edited = tinyRequest(*first.promptPanel());
    edited.prompt = "a blue star spinning on a gradient background";
    edited.negativePrompt = "black";
    edited.frames = 9;
    edited.width = 96;
    edited.height = 64;
    edited.steps = 11;
    edited.guidance = 5.5;
    edited.shift = 2.5;
    edited.seed = 123456789;
    edited.sampler = "euler";
    useRequest(first, edited);
    first.promptPanel()->setSeedLocked(false);
    // A layout the user made: the Run dock moved under the player.
    auto* runDock = first.findChild<QDockWidget*>("runDock");
    QVERIFY(runDock);
    first.addDockWidget(Qt::BottomDockWidgetArea, runDock);
    first.resize(1100, 700);
    QCoreApplication::processEvents();
    savedState = first.saveState(1);
    first.close();  // saves, as a user's quit does
  }

  MainWindow second;
  second.show();
  QVERIFY(QTest::qWaitForWindowExposed(&second));
  QCoreApplication::processEvents();
  const GenerationRequest restored = second.promptPanel()->request();
  QCOMPARE(QString::fromStdString(restored.prompt), QString::fromStdString(edited.prompt));
  QCOMPARE(QString::fromStdString(restored.negativePrompt), QString("black"));
  QCOMPARE(restored.frames, edited.frames);
  QCOMPARE(restored.width, edited.width);
  QCOMPARE(restored.height, edited.height);
  QCOMPARE(restored.steps, edited.steps);
  QCOMPARE(restored.guidance, edited.guidance);
  QCOMPARE(restored.shift, edited.shift);
  QCOMPARE(restored.seed, edited.seed);
  QCOMPARE(QString::fromStdString(restored.sampler), QString("euler"));
  QCOMPARE(QString::fromStdString(restored.device), QString("cpu"));
  QCOMPARE(QString::fromStdString(requestToJson(restored)),
           QString::fromStdString(requestToJson(edited)));
  QVERIFY(!second.promptPanel()->seedLocked());
  QCOMPARE(second.dockWidgetArea(second.findChild<QDockWidget*>("runDock")),
           Qt::BottomDockWidgetArea);
  QCOMPARE(second.size(), QSize(1100, 700));
  QCOMPARE(second.saveState(1), savedState);
}

void TestStudio::exportWritesAClipWithSettings() {
  MainWindow window;
  const GenerationRequest request = tinyRequest(*window.promptPanel());
  useRequest(window, request);
  QSignalSpy finished(window.controller(), &StudioController::finished);
  window.generate();
  QTRY_COMPARE_WITH_TIMEOUT(finished.count(), 1, kRunTimeoutMs);

  const QString dir = QString::fromStdString(test::freshDir("ui_export"));
  const QString path = dir + (mp4ExportAvailable() ? "/clip.mp4" : "/clip.y4m");
  QSignalSpy exported(&window, &MainWindow::exportFinished);
  StallMeter meter;
  window.exportTo(path);
  QTRY_COMPARE_WITH_TIMEOUT(exported.count(), 1, 60000);
  QVERIFY2(exported.first().at(0).toBool(), qPrintable(exported.first().at(2).toString()));
  QVERIFY(meter.longestMs() < 250);
  QVERIFY(QFileInfo(path).size() > 0);

  const std::string metadata = readVideoMetadata(path.toStdString());
  QVERIFY(!metadata.empty());
  const GenerationRequest back = requestFromJson(metadata);
  QCOMPARE(QString::fromStdString(back.prompt), QString::fromStdString(request.prompt));
  QCOMPARE(back.seed, request.seed);
  QCOMPARE(back.frames, request.frames);

  // The same file restores the settings into a fresh window.
  MainWindow other;
  QVERIFY(other.loadSettingsFromClip(path));
  QCOMPARE(other.promptPanel()->request().seed, request.seed);
  QCOMPARE(QString::fromStdString(other.promptPanel()->request().prompt),
           QString::fromStdString(request.prompt));
}

void TestStudio::closingDuringARunStopsTheThread() {
  auto window = std::make_unique<MainWindow>();
  GenerationRequest request = tinyRequest(*window->promptPanel());
  request.frames = 16;
  request.width = request.height = 128;
  request.steps = 100;
  useRequest(*window, request);
  QSignalSpy progress(window->controller(), &StudioController::progress);
  window->generate();
  QTRY_VERIFY_WITH_TIMEOUT(progress.count() >= 1, kRunTimeoutMs);
  QElapsedTimer clock;
  clock.start();
  // A QThread destroyed while running aborts the process, so getting past this line is the test.
  window.reset();
  qInfo("window destroyed mid-run in %lld ms", clock.elapsed());
  QVERIFY(clock.elapsed() < 3000);
}

QTEST_MAIN(TestStudio)
#include "test_studio.moc"
