// The Run dock's queue offscreen: jobs keep the order they were added, moved and removed in, and
// the window runs them one after another through the one worker, each with its own settings (a
// small budget sweep on the built-in model: dense, then SVG2 at three top-p values).
#include "core/attention/clustering/cluster_parameters.h"
#include "core/attention/warmup.h"
#include "tests/support/small_clip.h"
#include "tests/support/test_support.h"

#include "core/pipeline/request_json.h"
#include "ui/main_window.h"
#include "ui/prompt_panel.h"
#include "ui/queue_panel.h"
#include "ui/queue_store.h"
#include "ui/run_queue.h"
#include "ui/sparsity_panel.h"
#include "ui/studio_controller.h"
#include "ui/studio_settings.h"

#include <QAction>
#include <QElapsedTimer>
#include <QListWidget>
#include <QPushButton>
#include <QSettings>
#include <QStatusBar>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QToolButton>
#include <QtTest>

using namespace svgen;
using namespace svgen::ui;

namespace {

constexpr int kRunTimeoutMs = 240000;

GenerationRequest withTopP(double topP) {
  GenerationRequest r;
  r.prompt = "p" + std::to_string(topP);
  r.attention.method = "svg2";
  r.attention.set(clustering::topP, topP);
  return r;
}

QVector<double> topPs(const RunQueue& q) {
  QVector<double> out;
  for (const QueuedJob& j : q.jobs()) out << j.request.attention.get(clustering::topP);
  return out;
}

}  // namespace

class TestRunQueue : public QObject {
  Q_OBJECT
 private slots:
  void initTestCase();
  void queueKeepsItsOrder();
  void panelButtonsEditTheQueue();
  void jobsReachTheEngineInQueueOrder();
  void queueSurvivesARestart();
  void aLongSavedQueueOpensQuickly();
};

void TestRunQueue::initTestCase() {
  QStandardPaths::setTestModeEnabled(true);
  QSettings::setPath(QSettings::IniFormat, QSettings::UserScope,
                     QString::fromStdString(test::freshDir("ui_queue_settings")));
}

void TestRunQueue::queueKeepsItsOrder() {
  RunQueue q;
  QSignalSpy changed(&q, &RunQueue::changed);
  const int a = q.add(withTopP(0.1));
  const int b = q.add(withTopP(0.2));
  const int c = q.add(withTopP(0.3));
  QCOMPARE(changed.count(), 3);
  QVERIFY(a != b && b != c);
  QCOMPARE(topPs(q), (QVector<double>{0.1, 0.2, 0.3}));
  QVERIFY(q.move(2, 0));
  QCOMPARE(topPs(q), (QVector<double>{0.3, 0.1, 0.2}));
  QVERIFY(!q.move(0, 3));
  QVERIFY(q.remove(1));
  QCOMPARE(topPs(q), (QVector<double>{0.3, 0.2}));
  QVERIFY(!q.remove(5));
  q.add(withTopP(0.4));
  // A drag: the view's order of ids; a job the view left out keeps its place at the end.
  q.reorder({b, c});
  QCOMPARE(topPs(q), (QVector<double>{0.2, 0.3, 0.4}));
  QCOMPARE(q.indexOf(c), 1);
  QCOMPARE(q.takeFirst().id, b);
  QCOMPARE(topPs(q), (QVector<double>{0.3, 0.4}));
}

void TestRunQueue::panelButtonsEditTheQueue() {
  RunQueue q;
  QAction add("Add", nullptr);
  QueuePanel panel(&q, &add);
  panel.show();
  for (double p : {0.1, 0.2, 0.3}) q.add(withTopP(p));
  QListWidget* list = panel.list();
  QCOMPARE(list->count(), 3);
  QVERIFY(list->item(0)->text().startsWith("1. SVG2 top-p 0.10"));
  auto* up = panel.findChild<QToolButton*>("queueUpButton");
  auto* down = panel.findChild<QToolButton*>("queueDownButton");
  auto* remove = panel.findChild<QToolButton*>("queueRemoveButton");
  QVERIFY(up && down && remove);

  panel.select(2);
  QTest::mouseClick(up, Qt::LeftButton);
  QCOMPARE(topPs(q), (QVector<double>{0.1, 0.3, 0.2}));
  QCOMPARE(panel.selectedIndex(), 1);  // the moved job stays selected
  QTest::mouseClick(up, Qt::LeftButton);
  QCOMPARE(topPs(q), (QVector<double>{0.3, 0.1, 0.2}));
  QVERIFY(!up->isEnabled());
  QTest::mouseClick(down, Qt::LeftButton);
  QCOMPARE(topPs(q), (QVector<double>{0.1, 0.3, 0.2}));
  QTest::mouseClick(remove, Qt::LeftButton);
  QCOMPARE(topPs(q), (QVector<double>{0.1, 0.2}));
  QCOMPARE(list->count(), 2);
  QVERIFY(list->item(1)->text().startsWith("2. SVG2 top-p 0.20"));
  // The list follows a drop (the view moves its row, then the queue takes the view's order).
  list->model()->moveRow(QModelIndex(), 1, QModelIndex(), 0);
  QTRY_COMPARE(topPs(q), (QVector<double>{0.2, 0.1}));
}

void TestRunQueue::jobsReachTheEngineInQueueOrder() {
  MainWindow window;
  window.show();
  GenerationRequest request =
      test::useSmallClip(window, "a red circle moving right on a blue background", 7);

  // The sweep as a user lines it up: settings changed in the docks between Ctrl+Shift+Return.
  auto* addAction = window.findChild<QAction*>("addToQueueAction");
  QVERIFY(addAction);
  QCOMPARE(addAction->shortcut(), QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_Return));
  auto queueWith = [&](const std::string& method, double topP) {
    AttentionConfig a = window.sparsityPanel()->config();
    a.method = method;
    a.set(clustering::topP, topP);
    a.set(warmup::fraction, 0);
    window.sparsityPanel()->setConfig(a);
    addAction->trigger();
  };
  queueWith("svg2", 0.5);
  queueWith("dense", 0.9);
  queueWith("svg2", 0.9);
  queueWith("svg", 0.9);  // removed below
  queueWith("svg2", 0.7);
  RunQueue* queue = window.queue();
  QCOMPARE(queue->size(), 5);
  QueuePanel* panel = window.queuePanel();
  panel->select(1);
  panel->moveSelectedUp();  // dense first
  panel->select(3);
  panel->removeSelected();  // the SVG job
  panel->select(2);
  panel->moveSelectedDown();  // 0.9 after 0.7
  struct Want {
    std::string method;
    double topP;
  };
  const std::vector<Want> want = {{"dense", 0.9}, {"svg2", 0.5}, {"svg2", 0.7}, {"svg2", 0.9}};
  QCOMPARE(queue->size(), int(want.size()));
  for (size_t i = 0; i < want.size(); ++i) {
    QCOMPARE(QString::fromStdString(queue->jobs()[int(i)].request.attention.method),
             QString::fromStdString(want[i].method));
    QCOMPARE(queue->jobs()[int(i)].request.attention.get(clustering::topP), want[i].topP);
  }

  QSignalSpy requested(window.controller(), &StudioController::runRequested);
  QSignalSpy finished(window.controller(), &StudioController::finished);
  QSignalSpy failed(window.controller(), &StudioController::failed);
  auto* run = window.findChild<QPushButton*>("queueRunButton");
  QVERIFY(run && run->isEnabled());
  QTest::mouseClick(run, Qt::LeftButton);
  QVERIFY(queue->isActive());
  QVERIFY(window.controller()->isRunning());
  QTRY_VERIFY_WITH_TIMEOUT(
      finished.count() + failed.count() == int(want.size()) || !failed.isEmpty(), kRunTimeoutMs);
  QVERIFY2(failed.isEmpty(), failed.isEmpty() ? "" : qPrintable(failed.first().at(1).toString()));
  QTRY_VERIFY(!queue->isActive());
  QVERIFY(queue->isEmpty());
  QCOMPARE(requested.count(), int(want.size()));
  for (size_t i = 0; i < want.size(); ++i) {
    // What the worker was sent, and what the engine reports it ran.
    const auto sent = requested.at(int(i)).first().value<GenerationRequest>();
    const auto outcome = finished.at(int(i)).first().value<RunOutcome>();
    for (const GenerationRequest& r : {sent, outcome.result->request}) {
      QCOMPARE(QString::fromStdString(r.attention.method), QString::fromStdString(want[i].method));
      QCOMPARE(r.attention.get(clustering::topP), want[i].topP);
      QCOMPARE(r.seed, request.seed);
      QCOMPARE(r.frames, request.frames);
    }
    QCOMPARE(outcome.result->video.frames, request.frames);
  }
  QVERIFY(!window.controller()->isRunning());
}

void TestRunQueue::queueSurvivesARestart() {
  QStringList saved;
  {
    MainWindow window;
    QVERIFY(window.queue()->isEmpty());
    GenerationRequest r = withTopP(0.3);
    r.negativePrompt = "blur";
    r.frames = 8;
    r.steps = 3;
    r.seed = 1234567890123ULL;
    r.sampler = "euler";
    r.attention.set(warmup::fraction, 0.25);
    window.queue()->add(withTopP(0.1));
    window.queue()->add(withTopP(0.2));
    window.queue()->add(r);
    window.queuePanel()->select(2);
    window.queuePanel()->moveSelectedUp();
    window.queuePanel()->moveSelectedUp();
    QCOMPARE(topPs(*window.queue()), (QVector<double>{0.3, 0.1, 0.2}));
    for (const QueuedJob& j : window.queue()->jobs())
      saved << QString::fromStdString(requestToJson(j.request));
  }  // no close event: the queue was saved as it changed, as it would be before a crash

  {
    MainWindow window;
    QStringList restored;
    for (const QueuedJob& j : window.queue()->jobs())
      restored << QString::fromStdString(requestToJson(j.request));
    QCOMPARE(restored, saved);             // every setting, in the same order
    QVERIFY(!window.queue()->isActive());  // waits for Run
    QVERIFY(!window.controller()->isRunning());
    QCOMPARE(window.queue()->jobs()[0].request.seed, 1234567890123ULL);
  }

  // A stored entry that no longer parses is skipped with a warning; the others load.
  auto settings = openStudioSettings();
  QStringList jobs = settings->value(keys::kQueue).toStringList();
  jobs.insert(1, "{\"frames\": \"many\"}");
  jobs.insert(0, "not json at all");
  settings->setValue(keys::kQueue, jobs);
  settings->sync();
  QTest::ignoreMessage(QtWarningMsg, QRegularExpression("Skipping queued job 1 of 5.*JSON"));
  QTest::ignoreMessage(QtWarningMsg, QRegularExpression("Skipping queued job 3 of 5.*frames"));
  RunQueue queue;
  QCOMPARE(restoreQueue(*settings, queue), 2);
  QCOMPARE(topPs(queue), (QVector<double>{0.3, 0.1, 0.2}));
  settings.reset();
  QTest::ignoreMessage(QtWarningMsg, QRegularExpression("Skipping queued job 1 of 5"));
  QTest::ignoreMessage(QtWarningMsg, QRegularExpression("Skipping queued job 3 of 5"));
  MainWindow window;
  QCOMPARE(topPs(*window.queue()), (QVector<double>{0.3, 0.1, 0.2}));
  QVERIFY(window.statusBar()->currentMessage().contains("2 queued job"));
  // Dropped from the settings too, so the next start has nothing to warn about.
  QCOMPARE(openStudioSettings()->value(keys::kQueue).toStringList().size(), 3);
  window.queue()->clear();
  QCOMPARE(openStudioSettings()->value(keys::kQueue).toStringList().size(), 0);
}

// 10,003 saved jobs: before, each restored job rebuilt the list and rewrote the saved queue, and no
// window showed after 90 s. Now the queue changes once and the window opens in seconds.
void TestRunQueue::aLongSavedQueueOpensQuickly() {
  const QString job = QString::fromStdString(requestToJson(withTopP(0.4)));
  QStringList jobs;
  for (int i = 0; i < 10003; ++i) jobs << job;
  {
    auto settings = openStudioSettings();
    settings->setValue(keys::kQueue, jobs);
    settings->sync();
    RunQueue queue;
    QSignalSpy changed(&queue, &RunQueue::changed);
    QCOMPARE(restoreQueue(*settings, queue), 0);
    QCOMPARE(changed.count(), 1);
    QCOMPARE(queue.jobs().size(), 10003);
  }
  QElapsedTimer clock;
  clock.start();
  MainWindow window;
  window.show();
  QCOMPARE(window.queue()->jobs().size(), 10003);
  QVERIFY2(clock.elapsed() < 30000, qPrintable(QString::number(clock.elapsed())));
  window.queue()->clear();
}

QTEST_MAIN(TestRunQueue)
#include "test_run_queue.moc"
