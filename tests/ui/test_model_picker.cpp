// The prompt panel's model picker offscreen: a checkpoint folder is described from its headers
// (what `svgen inspect` reports) before anything loads; a folder the engine cannot run is refused
// with the reason in the row and under a disabled Generate; a runnable folder reaches the engine
// as the request's model; and the choice survives a restart.
#include "tests/support/test_support.h"

#include "core/pipeline/engine.h"
#include "ui/app_theme.h"
#include "ui/main_window.h"
#include "ui/model_picker.h"
#include "ui/prompt_panel.h"
#include "ui/run_panel.h"
#include "ui/sparsity_panel.h"
#include "ui/studio_controller.h"

#include <QAction>
#include <QApplication>
#include <QCheckBox>
#include <QComboBox>
#include <QDoubleSpinBox>
#include <QLabel>
#include <QPushButton>
#include <QSettings>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QtTest>

using namespace svgen;
using namespace svgen::ui;

namespace {

constexpr int kRunTimeoutMs = 240000;

QString sourceFolder(const char* path) {
  return QDir::cleanPath(QString::fromStdString(test::sourcePath(path)));
}

// The window refuses to run: Generate and Add to queue are off and the Run dock says why.
void verifyRefused(MainWindow& window, const QString& why) {
  ModelPicker* picker = window.promptPanel()->modelPicker();
  QVERIFY(!picker->isRunnable());
  QVERIFY2(picker->check().refusal.contains(why), qPrintable(picker->check().refusal));
  QVERIFY2(picker->statusText().contains("Cannot run"), qPrintable(picker->statusText()));
  QVERIFY(!window.findChild<QPushButton*>("generateButton")->isEnabled());
  QVERIFY(!window.findChild<QAction*>("generateAction")->isEnabled());
  QVERIFY(!window.findChild<QAction*>("addToQueueAction")->isEnabled());
  auto* reason = window.runPanel()->findChild<QLabel*>("runBlockedReason");
  QVERIFY(reason && !reason->isHidden());
  QVERIFY(reason->text().contains(picker->check().refusal));
  window.generate();
  QVERIFY(!window.controller()->isRunning());
}

}  // namespace

class TestModelPicker : public QObject {
  Q_OBJECT
 private slots:
  void initTestCase();
  void wanFolderShowsWhatInspectReports();
  void emptyFolderIsRefused();
  void runnableFolderReachesTheEngine();
  void choiceSurvivesARestart();
  void gpuMemoryRowEstimatesTheDecodeAndCarriesTheBudget();
};

void TestModelPicker::initTestCase() {
  QStandardPaths::setTestModeEnabled(true);
  QSettings::setPath(QSettings::IniFormat, QSettings::UserScope,
                     QString::fromStdString(test::freshDir("ui_model_picker_settings")));
}

void TestModelPicker::wanFolderShowsWhatInspectReports() {
  MainWindow window;
  window.show();
  const QString folder = sourceFolder("tests/fixtures/wan_tiny");
  const CheckpointInspection r = Engine::inspect(folder.toStdString());
  ModelPicker* picker = window.promptPanel()->modelPicker();
  picker->choose(folder);
  QCOMPARE(picker->model(), folder);
  const QString status = picker->statusText();
  QVERIFY2(status.contains(QString::fromStdString(r.layout)), qPrintable(status));
  QVERIFY2(status.contains(QString::fromStdString(r.modelName)), qPrintable(status));
  QVERIFY2(status.contains(QString::fromStdString(parameterCountText(r.transformer.parameters))),
           qPrintable(status));
  for (const auto& dtype : r.transformer.dtypes)
    QVERIFY2(status.contains(QString::fromStdString(dtype)), qPrintable(status));
  // The tooltip names every part and where it was found.
  const QString details = picker->check().details;
  for (const InspectedComponent* c : {&r.transformer, &r.textEncoder, &r.tokenizer, &r.vae})
    if (c->found) QVERIFY2(details.contains(QString::fromStdString(c->path)), qPrintable(details));
  QCOMPARE(window.promptPanel()->findChild<QLabel*>("modelStatusLabel")->toolTip(), details);

  // Runnable exactly when the engine can describe it; otherwise refused with its reason.
  std::string engineSays;
  try {
    Engine().describeModel(folder.toStdString());
  } catch (const std::exception& e) {
    engineSays = e.what();
  }
  if (r.missing.empty() && engineSays.empty()) {
    QVERIFY(picker->isRunnable());
  } else if (r.missing.empty()) {
    verifyRefused(window, QString::fromStdString(engineSays));
  } else {
    verifyRefused(window, QString::fromStdString(r.missing.front()));
  }

  // For docs/screenshots/ when asked (under Xvfb, as test_screenshots says).
  const QString shots = qEnvironmentVariable("SVGEN_SCREENSHOT_DIR");
  if (!shots.isEmpty()) {
    applyStudioTheme(*qApp, false);
    window.resize(1600, 1000);
    QVERIFY(QTest::qWaitForWindowExposed(&window));
    QTest::qWait(300);
    QVERIFY(window.grab().save(shots + "/studio-model-picker.png"));
  }

  // Back to the built-in model: runnable again, and the folder stays on offer.
  QVERIFY(picker->choose("builtin"));
  QVERIFY(window.findChild<QPushButton*>("generateButton")->isEnabled());
  QVERIFY(window.runPanel()->findChild<QLabel*>("runBlockedReason")->isHidden());
  auto* box = picker->findChild<QComboBox*>("modelBox");
  QCOMPARE(box->count(), 3);  // built-in, the folder, "Checkpoint folder…"
  QCOMPARE(box->itemData(1).toString(), folder);
  QCOMPARE(box->currentIndex(), 0);
  // Picking the folder's entry in the box checks it again.
  emit box->activated(1);
  QCOMPARE(picker->model(), folder);
  QCOMPARE(box->currentIndex(), 1);
  QCOMPARE(picker->check().details, details);
}

void TestModelPicker::emptyFolderIsRefused() {
  MainWindow window;
  window.show();
  const QString empty = QString::fromStdString(test::freshDir("ui_model_picker_empty"));
  QSignalSpy runnable(window.promptPanel()->modelPicker(), &ModelPicker::runnableChanged);
  QVERIFY(!window.promptPanel()->modelPicker()->choose(empty));
  QCOMPARE(runnable.count(), 1);
  QCOMPARE(runnable.first().at(0).toBool(), false);
  verifyRefused(window, "nothing recognisable");
  QVERIFY(window.promptPanel()->modelPicker()->check().refusal.contains(empty));
  QVERIFY(window.findChild<QLabel*>("modelStatus")->text().contains("cannot run"));
  // A missing folder says so too.
  QVERIFY(!window.promptPanel()->modelPicker()->choose(empty + "/gone"));
  verifyRefused(window, "no such file");
  // Settings that name the built-in model (a clip dropped in, a history re-run) replace the
  // refused folder.
  GenerationRequest builtin = window.currentRequest();
  builtin.model = "builtin";
  QVERIFY(window.applyRequest(builtin));
  QVERIFY(window.promptPanel()->modelPicker()->isRunnable());
  QVERIFY(window.findChild<QPushButton*>("generateButton")->isEnabled());
  QVERIFY(window.findChild<QAction*>("addToQueueAction")->isEnabled());
  // A folder that holds no model leaves the list once another model is chosen, and is not
  // remembered (issue 22, item 4: it stayed offered).
  ModelPicker* picker = window.promptPanel()->modelPicker();
  auto* box = picker->findChild<QComboBox*>();
  QVERIFY(box);
  QVERIFY(picker->folder().isEmpty());
  for (int i = 0; i < box->count(); ++i)
    QVERIFY2(!box->itemData(i).toString().startsWith(empty), qPrintable(box->itemText(i)));
}

void TestModelPicker::runnableFolderReachesTheEngine() {
  MainWindow window;
  window.show();
  const QString folder = sourceFolder("resources/models/builtin");
  ModelPicker* picker = window.promptPanel()->modelPicker();
  QVERIFY2(picker->choose(folder), qPrintable(picker->check().refusal));
  QVERIFY2(picker->statusText().contains("svgen"), qPrintable(picker->statusText()));
  QVERIFY(window.findChild<QPushButton*>("generateButton")->isEnabled());
  QCOMPARE(QString::fromStdString(window.promptPanel()->modelInfo().id), folder);

  GenerationRequest request = window.promptPanel()->request();
  QCOMPARE(QString::fromStdString(request.model), folder);
  request.prompt = "a red circle moving right on a blue background";
  request.frames = 4;
  request.width = request.height = 64;
  request.steps = 2;
  request.device = "cpu";
  window.promptPanel()->setSeedLocked(true);
  window.promptPanel()->setRequest(request);
  AttentionConfig dense = window.sparsityPanel()->config();
  dense.method = "dense";
  window.sparsityPanel()->setConfig(dense);
  QSignalSpy requested(window.controller(), &StudioController::runRequested);
  QSignalSpy finished(window.controller(), &StudioController::finished);
  QSignalSpy failed(window.controller(), &StudioController::failed);
  window.generate();
  QCOMPARE(requested.count(), 1);
  QCOMPARE(QString::fromStdString(requested.first().first().value<GenerationRequest>().model),
           folder);
  QTRY_VERIFY_WITH_TIMEOUT(finished.count() + failed.count() > 0, kRunTimeoutMs);
  QVERIFY2(failed.isEmpty(), failed.isEmpty() ? "" : qPrintable(failed.first().at(1).toString()));
  const auto outcome = finished.first().first().value<RunOutcome>();
  QCOMPARE(QString::fromStdString(outcome.result->request.model), folder);
}

void TestModelPicker::choiceSurvivesARestart() {
  const QString folder = sourceFolder("tests/fixtures/wan_tiny");
  {
    MainWindow window;
    window.promptPanel()->modelPicker()->choose(folder);
    window.saveSettings();
  }
  {
    MainWindow window;
    ModelPicker* picker = window.promptPanel()->modelPicker();
    QCOMPARE(picker->model(), folder);
    QCOMPARE(picker->folder(), folder);
    QCOMPARE(QString::fromStdString(window.promptPanel()->request().model), folder);
    QVERIFY(!picker->statusText().isEmpty());
    QVERIFY(!window.errorDialog());  // a refused folder says so in its row, not in a dialog
    picker->choose("builtin");
    window.saveSettings();
  }
  MainWindow window;
  ModelPicker* picker = window.promptPanel()->modelPicker();
  QCOMPARE(picker->model(), QString("builtin"));
  QCOMPARE(picker->folder(), folder);  // still offered
  QVERIFY(picker->isRunnable());
}

void TestModelPicker::gpuMemoryRowEstimatesTheDecodeAndCarriesTheBudget() {
  MainWindow window;
  PromptPanel* panel = window.promptPanel();
  QVERIFY(panel->memoryHint().isEmpty());  // the built-in model's decoder costs nothing
  QVERIFY(panel->modelPicker()->choose(sourceFolder("tests/fixtures/wan_tiny")));
  GenerationRequest r = panel->request();
  r.width = 1280;
  r.height = 720;
  panel->setRequest(r);
  QVERIFY2(panel->memoryHint().contains("whole frame 20.1 GiB, in tiles 1.4 GiB"),
           qPrintable(panel->memoryHint()));
  QVERIFY(!panel->memoryHint().contains("To fit"));
  auto* vram = panel->findChild<QDoubleSpinBox*>("vram");
  auto* tiled = panel->findChild<QCheckBox*>("tiledDecode");
  QVERIFY(vram && tiled);
  QCOMPARE(vram->text(), QString("whole card"));
  vram->setValue(8);
  // On a machine without a GPU the estimate is what a GPU run would hold.
  panel->setDevices({"cpu"});
  QVERIFY2(panel->memoryHint().contains("This run is on the CPU") &&
               panel->memoryHint().contains("To fit 8.0 GiB a GPU run would use: decode in tiles."),
           qPrintable(panel->memoryHint()));
  panel->setDevices({"cpu", "cuda:0 Some GPU"});
  auto* device = panel->findChild<QComboBox*>("device");
  device->setCurrentIndex(device->findData("auto"));  // auto picks the GPU
  QVERIFY2(panel->memoryHint().contains("To fit 8.0 GiB the run will use: decode in tiles."),
           qPrintable(panel->memoryHint()));
  device->setCurrentIndex(device->findData("cpu"));
  QVERIFY(panel->memoryHint().contains("This run is on the CPU"));
  device->setCurrentIndex(device->findData("cuda:0"));
  QVERIFY2(panel->memoryHint().contains("To fit 8.0 GiB the run will use: decode in tiles."),
           qPrintable(panel->memoryHint()));
  tiled->setChecked(true);
  QVERIFY2(!panel->memoryHint().contains("To fit"), qPrintable(panel->memoryHint()));
  // A budget below the decode's tile cannot be met: the hint says what it needs.
  vram->setValue(1);
  QVERIFY2(panel->memoryHint().contains("Even so it needs about 1.4 GiB"),
           qPrintable(panel->memoryHint()));
  // Every saving the plan pulled is named, streamed blocks included.
  QVERIFY2(panel->memoryHint().contains("blocks streamed from system memory"),
           qPrintable(panel->memoryHint()));
  vram->setValue(8);
  r = panel->request();
  QCOMPARE(r.vramGiB, 8.0);
  QVERIFY(r.tiledDecode);
  // A request put back (a queued job, a reopened run) restores both.
  r.vramGiB = 0;
  r.tiledDecode = false;
  panel->setRequest(r);
  QCOMPARE(vram->value(), 0.0);
  QVERIFY(!tiled->isChecked());
}

QTEST_MAIN(TestModelPicker)
#include "test_model_picker.moc"
