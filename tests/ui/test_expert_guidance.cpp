// The prompt panel for Wan 2.2's two-expert models (issue 25): a second guidance for the
// low-noise expert beside the first, shown only for such models, with the model's own pair as
// defaults, carried in the request and restored from one; and a Wan 2.2 run through the studio's
// worker.
#include "tests/support/test_support.h"
#include "tests/support/wan_fixture.h"

#include "core/text/sentencepiece_tokenizer.h"
#include "ui/history_store.h"
#include "ui/main_window.h"
#include "ui/model_picker.h"
#include "ui/prompt_panel.h"
#include "ui/run_types.h"
#include "ui/studio_controller.h"

#include <QDir>
#include <QDoubleSpinBox>
#include <QSettings>
#include <QStandardPaths>
#include <QtTest>

using namespace svgen;
using namespace svgen::ui;

namespace {

ModelInfo twoExperts() {
  ModelInfo info;
  info.id = "/models/wan22-t2v";
  info.label = "Wan 2.2 T2V A14B";
  info.defaultFrames = 81;
  info.frameMultiple = 4;
  info.frameOffset = 1;
  info.maxFrames = 161;
  info.defaultWidth = 1280;
  info.defaultHeight = 720;
  info.sizeMultiple = 16;
  info.minSize = 16;
  info.maxSize = 2048;
  info.defaultSteps = 40;
  info.defaultGuidance = 4;
  info.defaultLowNoiseGuidance = 3;
  info.defaultShift = 12;
  info.expertBoundary = 875;
  return info;
}

}  // namespace

class TestExpertGuidance : public QObject {
  Q_OBJECT
 private slots:
  void initTestCase() {
    QStandardPaths::setTestModeEnabled(true);
    QSettings::setPath(QSettings::IniFormat, QSettings::UserScope,
                       QString::fromStdString(test::freshDir("ui_expert_guidance_settings")));
    QDir(HistoryStore::defaultFolder()).removeRecursively();
  }

  void shownOnlyForTwoExperts() {
    PromptPanel panel;
    panel.show();
    auto* low = panel.findChild<QDoubleSpinBox*>("lowNoiseGuidance");
    QVERIFY(low);
    ModelInfo one = twoExperts();
    one.expertBoundary = 0;
    panel.setModelInfo(one);
    QVERIFY(!low->isVisible());
    QCOMPARE(panel.request().lowNoiseGuidance, -1.0);  // a one-network model takes none
    panel.setModelInfo(twoExperts());
    QVERIFY(low->isVisible());
    QCOMPARE(panel.request().guidance, 4.0);
    QCOMPARE(panel.request().lowNoiseGuidance, 3.0);
    QVERIFY(panel.findChild<QDoubleSpinBox*>("guidance")->toolTip().contains("875"));
  }

  void carriedInTheRequestAndBack() {
    PromptPanel panel;
    panel.setModelInfo(twoExperts());
    QSignalSpy edited(&panel, &PromptPanel::edited);
    panel.findChild<QDoubleSpinBox*>("lowNoiseGuidance")->setValue(1.5);
    QVERIFY(edited.count() >= 1);
    GenerationRequest r = panel.request();
    QCOMPARE(r.lowNoiseGuidance, 1.5);
    PromptPanel other;
    other.setModelInfo(twoExperts());
    other.setRequest(r);
    QCOMPARE(other.request().lowNoiseGuidance, 1.5);
    // A request that set only the first guidance: the second follows it, as the engine does.
    r.guidance = 6;
    r.lowNoiseGuidance = -1;
    other.setRequest(r);
    QCOMPARE(other.request().lowNoiseGuidance, 6.0);
  }

  void aWan22RunGoesThroughTheStudio() {
    if (!sentencePieceAvailable()) QSKIP("built without libsentencepiece-dev");
    const std::string folder = test::freshDir("ui_wan22_model");
    test::writeWan22Folder(folder, false);
    MainWindow window;
    window.show();
    PromptPanel* panel = window.promptPanel();
    QVERIFY(panel->modelPicker()->choose(QString::fromStdString(folder)));
    QCOMPARE(panel->modelInfo().expertBoundary, 875.0);
    QVERIFY(panel->findChild<QDoubleSpinBox*>("lowNoiseGuidance")->isVisible());
    GenerationRequest r = panel->request();
    r.prompt = "a red circle";
    r.frames = 5;
    r.width = 64;
    r.height = 48;
    r.steps = 3;
    r.shift = 3;  // timesteps 999, 857, 600: both experts run
    r.lowNoiseGuidance = 2;
    r.device = "cpu";
    panel->setSeedLocked(true);
    panel->setRequest(r);
    QSignalSpy finished(window.controller(), &StudioController::finished);
    window.generate();
    QTRY_COMPARE_WITH_TIMEOUT(finished.count(), 1, 120000);
    const auto outcome = finished.first().first().value<RunOutcome>();
    QVERIFY2(outcome.result, "the run failed");
    QCOMPARE(outcome.result->video.frames, 5);
    QCOMPARE(outcome.result->request.lowNoiseGuidance, 2.0);
  }
};

QTEST_MAIN(TestExpertGuidance)
#include "test_expert_guidance.moc"
