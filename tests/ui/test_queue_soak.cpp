// A soak of the studio's worker: 50 queued jobs of every method run offscreen through the window
// (queue, worker thread, history with its files and twin measurements, attention records). Each
// must finish, and resident memory must stop growing: what a run leaves behind is bounded, so a
// day of queued runs cannot exhaust the machine (issue 23, CI).
#include "core/attention/clustering/cluster_parameters.h"
#include "core/attention/warmup.h"
#include "tests/support/test_support.h"

#include "ui/history_store.h"
#include "ui/main_window.h"
#include "ui/prompt_panel.h"
#include "ui/run_queue.h"
#include "ui/studio_controller.h"

#include <QDir>
#include <QFile>
#include <QPushButton>
#include <QSettings>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QtTest>

#include <unistd.h>

using namespace svgen;
using namespace svgen::ui;

namespace {

constexpr int kJobs = 50;

double residentMiB() {
  QFile statm("/proc/self/statm");
  if (!statm.open(QIODevice::ReadOnly)) return -1;
  const QList<QByteArray> fields = statm.readAll().split(' ');
  return fields.size() > 1 ? fields[1].toDouble() * double(::sysconf(_SC_PAGESIZE)) / (1 << 20)
                           : -1;
}

}  // namespace

class TestQueueSoak : public QObject {
  Q_OBJECT
 private slots:
  void initTestCase() {
    QStandardPaths::setTestModeEnabled(true);
    QSettings::setPath(QSettings::IniFormat, QSettings::UserScope,
                       QString::fromStdString(test::freshDir("ui_soak_settings")));
    QDir(HistoryStore::defaultFolder()).removeRecursively();
  }

  void fiftyQueuedJobsRunInBoundedMemory() {
    MainWindow window;
    window.show();
    GenerationRequest base = window.promptPanel()->request();
    base.prompt = "a red circle moving right on a blue background";
    base.frames = 4;
    base.width = base.height = 32;
    base.steps = 2;
    base.device = "cpu";
    const char* methods[] = {"dense", "svg", "svg2", "svoo"};
    for (int i = 0; i < kJobs; ++i) {
      GenerationRequest r = base;
      r.seed = 100 + i / 4;  // each sparse run has a dense twin to be measured against
      r.attention.method = methods[i % 4];
      r.attention.set(warmup::fraction, 0);
      r.attention.set(clustering::topP, 0.5);
      window.queue()->add(r);
    }
    QSignalSpy finished(window.controller(), &StudioController::finished);
    QSignalSpy failed(window.controller(), &StudioController::failed);
    double afterTen = -1;
    connect(window.controller(), &StudioController::finished, this, [&] {
      if (finished.count() == 10) afterTen = residentMiB();
    });
    auto* run = window.findChild<QPushButton*>("queueRunButton");
    QVERIFY(run && run->isEnabled());
    QTest::mouseClick(run, Qt::LeftButton);
    QVERIFY(QTest::qWaitFor(
        [&] { return finished.count() + failed.count() == kJobs || !failed.isEmpty(); },
        20 * 60 * 1000));
    QVERIFY2(failed.isEmpty(), failed.isEmpty() ? "" : qPrintable(failed.first().at(1).toString()));
    QVERIFY(window.queue()->isEmpty());
    // The history keeps every run and measures the sparse ones against their twins.
    QVERIFY(QTest::qWaitFor([&] { return !window.findChild<HistoryStore*>()->isBusy(); }, 60000));
    const HistoryStore* history = window.findChild<HistoryStore*>();
    QCOMPARE(history->entries().size(), kJobs);
    int measured = 0;
    for (const HistoryEntry& e : history->entries()) measured += e.hasQuality();
    QCOMPARE(measured, kJobs - (kJobs + 3) / 4);

    const double atEnd = residentMiB();
    qInfo("resident memory: %.0f MiB after 10 jobs, %.0f MiB after %d", afterTen, atEnd, kJobs);
    QVERIFY(afterTen > 0);
    // 40 more runs may add caches that settle, not a copy of every clip or record.
    QVERIFY2(atEnd - afterTen < 150, qPrintable(QString("grew %1 MiB").arg(atEnd - afterTen)));
  }
};

QTEST_MAIN(TestQueueSoak)
#include "test_queue_soak.moc"
