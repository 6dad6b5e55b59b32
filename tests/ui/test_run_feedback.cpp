// The Run dock's feedback while a run is under way (issue 22, item 4): the previous run's
// timings and attention numbers go when a new run starts (they sat under the new run, and under
// "Cancelled"), and the elapsed time ticks between step reports, so a long step does not look like
// a hang.
#include "core/attention/attention_config.h"
#include "core/attention/warmup.h"
#include "core/pipeline/engine.h"
#include "ui/run_panel.h"

#include <QtTest>

using namespace svgen;
using namespace svgen::ui;

class TestRunFeedback : public QObject {
  Q_OBJECT
 private slots:
  void aNewRunClearsTheLastOnesNumbersAndTheClockTicks() {
    RunPanel panel;
    panel.show();
    panel.setRunning(true);
    panel.showProgress(2, 2, 1.0, 0.0);
    panel.setRunning(false);
    panel.showOutcome("Done in 00:01", true);
    panel.showTimings({{"load", 0.5, 0}, {"denoise", 1.0, 0}}, 0.4);
    panel.showAttention("svg2", 0.3, 0.25, 0.4);
    QVERIFY(panel.timingsText().contains("Where the time went"));
    QVERIFY(!panel.attentionText().isEmpty());

    panel.setRunning(true);
    QVERIFY(panel.timingsText().isEmpty());
    QVERIFY(panel.attentionText().isEmpty());
    // No step has reported: the clock still moves.
    QTRY_VERIFY_WITH_TIMEOUT(panel.progressText().contains("00:01 elapsed"), 3000);
    // Step 1 of 20 done after a second; ETA 19 s counts down while step 2 runs.
    panel.showProgress(1, 20, 1.0, 19.0);
    QVERIFY2(panel.progressText().startsWith("step 2/20"), qPrintable(panel.progressText()));
    QTRY_VERIFY_WITH_TIMEOUT(panel.progressText().contains("ETA 00:18"), 3000);
    // Inside the step: which layer the pass is at.
    panel.showLayer(4, 30);
    QVERIFY2(panel.progressText().startsWith("step 2/20, layer 5/30"),
             qPrintable(panel.progressText()));
    // And what the attention is doing there: a 45 s k-means says so.
    panel.showPhase("k-means from scratch");
    QVERIFY2(panel.progressText().startsWith("step 2/20, layer 5/30, k-means from scratch"),
             qPrintable(panel.progressText()));

    panel.setRunning(false);
    panel.showOutcome("Cancelled", false);
    QVERIFY(panel.timingsText().isEmpty());
    const QString stopped = panel.progressText();
    QTest::qWait(1200);
    QCOMPARE(panel.progressText(), stopped);  // the clock stops with the run
    // A run that ended says how many steps it took, without an ETA.
    panel.setRunning(true);
    panel.showProgress(20, 20, 3.0, 0.0);
    panel.setRunning(false);
    QVERIFY2(panel.progressText().startsWith("20 steps — 00:0"), qPrintable(panel.progressText()));
    QVERIFY(!panel.progressText().contains("ETA"));
    panel.setRunning(true);  // a new run starts without the old phase
    QVERIFY(!panel.progressText().contains("k-means"));
    panel.setRunning(false);
  }

  // The worker reports each attention phase as it starts; SVG2's first sparse step clusters from
  // scratch in every layer, later steps start from the last centroids.
  void anSvg2RunNamesItsPhases() {
    struct Phases : GenerationObserver {
      QStringList seen;
      void onPhase(const char* phase) override {
        if (seen.isEmpty() || seen.back() != phase) seen << phase;
      }
    } phases;
    GenerationRequest r;
    r.prompt = "a red circle moving right";
    r.frames = 4;
    r.width = r.height = 64;
    r.steps = 3;
    r.previewEvery = 0;
    r.attention = attentionConfigFor("svg2");
    r.attention.set(warmup::fraction, 1.0 / 3);  // step 1 dense
    Engine().generate(r, phases);
    QVERIFY2(phases.seen.size() >= 4, qPrintable(phases.seen.join(" | ")));
    QCOMPARE(phases.seen[0], QString("dense warm-up"));
    QCOMPARE(phases.seen[1], QString("k-means from scratch"));
    QCOMPARE(phases.seen[2], QString("sparse attention"));
    QVERIFY(phases.seen.contains("k-means"));  // the last step starts from step 2's centroids
  }
};

QTEST_MAIN(TestRunFeedback)
#include "test_run_feedback.moc"
