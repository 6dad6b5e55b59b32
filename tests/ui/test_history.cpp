// The History dock offscreen: real runs on the built-in model are kept (frames, thumbnail, index)
// under AppDataLocation, a sparse run is measured against its dense twin with the same numbers
// core/pipeline/video_quality gives for the clips in memory, everything survives a restart (a new
// window reading the same folder), Re-run puts the settings back and generates, and Delete removes
// the files.
#include "core/attention/clustering/cluster_parameters.h"
#include "core/attention/warmup.h"
#include "tests/support/small_clip.h"
#include "tests/support/test_support.h"

#include "core/pipeline/video_quality.h"
#include "ui/history_panel.h"
#include "ui/history_store.h"
#include "ui/main_window.h"
#include "ui/prompt_panel.h"
#include "ui/sparsity_panel.h"
#include "ui/studio_controller.h"

#include <QDir>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QListWidget>
#include <QPushButton>
#include <QSettings>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QtTest>

using namespace svgen;
using namespace svgen::ui;

namespace {

constexpr int kRunTimeoutMs = 240000;

GenerationRequest smallRequest(const PromptPanel& panel) {
  GenerationRequest r = panel.request();
  r.prompt = "a green square moving up on a purple background";
  r.negativePrompt.clear();
  r.frames = 4;
  r.width = r.height = 64;
  r.steps = 2;
  r.seed = 11;
  r.device = "cpu";
  return r;
}

int indexedRuns(const QString& folder) {
  QFile f(folder + "/index.json");
  if (!f.open(QIODevice::ReadOnly)) return -1;
  return int(QJsonDocument::fromJson(f.readAll()).object()["runs"].toArray().size());
}

}  // namespace

class TestHistory : public QObject {
  Q_OBJECT
 private slots:
  void initTestCase();
  void twinsShareEverythingButTheAttention();
  void historySurvivesARestartAndDeleteRemovesFiles();

 private:
  QString folder_;
};

void TestHistory::initTestCase() {
  QStandardPaths::setTestModeEnabled(true);
  QSettings::setPath(QSettings::IniFormat, QSettings::UserScope,
                     QString::fromStdString(test::freshDir("ui_history_settings")));
  folder_ = HistoryStore::defaultFolder();
  QVERIFY(folder_.contains(QStandardPaths::writableLocation(QStandardPaths::AppDataLocation)));
  QDir(folder_).removeRecursively();
}

void TestHistory::twinsShareEverythingButTheAttention() {
  GenerationRequest a;
  a.prompt = "a red circle";
  a.seed = 3;
  a.frames = 4;
  GenerationRequest b = a;
  b.attention.method = "svg2";
  b.attention.set(clustering::topP, 0.7);
  QVERIFY(HistoryStore::areTwins(a, b));
  b.seed = 4;
  QVERIFY(!HistoryStore::areTwins(a, b));
  b = a;
  b.steps = 9;
  QVERIFY(!HistoryStore::areTwins(a, b));
  b = a;
  b.width = 96;
  QVERIFY(!HistoryStore::areTwins(a, b));
}

void TestHistory::historySurvivesARestartAndDeleteRemovesFiles() {
  QString denseId, sparseId;
  VideoQuality expected;
  GenerationRequest sparseRequest;
  QVector<double> stepSeconds;
  {
    MainWindow window;
    window.show();
    HistoryStore* store = window.history();
    QCOMPARE(store->folder(), folder_);
    QVERIFY(store->entries().isEmpty());
    window.promptPanel()->setSeedLocked(true);
    window.promptPanel()->setRequest(smallRequest(*window.promptPanel()));

    const RunOutcome dense = test::runWithMethod(window, "dense");
    QVERIFY(dense.result);
    const RunOutcome sparse = test::runWithMethod(window, "svg2");
    QVERIFY(sparse.result);
    sparseRequest = sparse.result->request;
    expected = compareVideos(dense.result->video, sparse.result->video);

    // Both kept, newest first, and the sparse one measured against the dense one.
    QTRY_VERIFY_WITH_TIMEOUT(store->entries().size() == 2 && store->entries()[0].hasQuality(),
                             60000);
    QTRY_VERIFY(!store->isBusy());
    const HistoryEntry& s = store->entries()[0];
    const HistoryEntry& d = store->entries()[1];
    QVERIFY(d.isDense());
    QVERIFY(!s.isDense());
    QCOMPARE(s.twinId, d.id);
    // The frames went through lossless PNG: the same numbers as the clips in memory.
    QCOMPARE(s.psnr, reportablePsnr(expected.psnr));
    QCOMPARE(s.ssim, expected.ssim);
    QVERIFY(s.totalSeconds > 0);
    QCOMPARE(s.frames, 4);
    // Each step's seconds, as the engine reported them, for the Plots dock's step plot.
    QCOMPARE(s.stepSeconds,
             QVector<double>(sparse.result->stepSeconds.begin(), sparse.result->stepSeconds.end()));
    QCOMPARE(s.stepSeconds.size(), 2);
    QVERIFY(s.stepSeconds[0] > 0 && s.stepSeconds[1] > 0);
    denseId = d.id;
    stepSeconds = s.stepSeconds;
    sparseId = s.id;
    for (const QString& id : {denseId, sparseId}) {
      QVERIFY(QFileInfo::exists(store->thumbnailPath(id)));
      QVERIFY(QFileInfo::exists(store->runFolder(id) + "/frames/0001.png"));
      QVERIFY(QFileInfo::exists(store->runFolder(id) + "/frames/0004.png"));
    }
    QCOMPARE(indexedRuns(folder_), 2);

    QListWidget* list = window.historyPanel()->list();
    QCOMPARE(list->count(), 2);
    const QString text = list->item(0)->text();
    QVERIFY2(text.contains("green square") && text.contains("SVG2 top-p 0.50") &&
                 text.contains("PSNR") && text.contains("SSIM"),
             qPrintable(text));
    QVERIFY2(list->item(1)->text().contains("dense reference"), qPrintable(list->item(1)->text()));
    QVERIFY(!list->item(0)->icon().isNull());
  }

  // A restart: a new window reads the same folder.
  MainWindow window;
  window.show();
  HistoryStore* store = window.history();
  QCOMPARE(store->entries().size(), 2);
  QCOMPARE(store->entries()[0].id, sparseId);
  QCOMPARE(store->entries()[1].id, denseId);
  QCOMPARE(store->entries()[0].twinId, denseId);
  QCOMPARE(store->entries()[0].psnr, reportablePsnr(expected.psnr));
  QCOMPARE(store->entries()[0].ssim, expected.ssim);
  QCOMPARE(QString::fromStdString(store->entries()[0].request.prompt),
           QString::fromStdString(sparseRequest.prompt));
  QCOMPARE(store->entries()[0].request.attention.get(clustering::topP), 0.5);
  QCOMPARE(store->entries()[0].stepSeconds, stepSeconds);
  HistoryPanel* panel = window.historyPanel();
  QCOMPARE(panel->list()->count(), 2);
  QVERIFY(panel->list()->item(0)->text().contains("PSNR"));

  // One sparse run selected: Compare pairs it with its dense twin, the twin on the left.
  panel->selectIds({sparseId});
  QCOMPARE(panel->comparePair(), (QStringList{denseId, sparseId}));
  QVERIFY(panel->findChild<QPushButton*>("historyCompareButton")->isEnabled());

  // Re-run puts the settings back and generates: a third run, the same settings.
  AttentionConfig other = window.sparsityPanel()->config();
  other.method = "svg";
  window.sparsityPanel()->setConfig(other);
  QSignalSpy finished(window.controller(), &StudioController::finished);
  QTest::mouseClick(panel->findChild<QPushButton*>("historyRerunButton"), Qt::LeftButton);
  QCOMPARE(QString::fromStdString(window.sparsityPanel()->config().method), QString("svg2"));
  QCOMPARE(window.sparsityPanel()->config().get(clustering::topP), 0.5);
  QCOMPARE(window.promptPanel()->request().seed, sparseRequest.seed);
  QVERIFY(window.controller()->isRunning());
  QTRY_COMPARE_WITH_TIMEOUT(finished.count(), 1, kRunTimeoutMs);
  const auto again = finished.first().first().value<RunOutcome>();
  QCOMPARE(QString::fromStdString(again.result->request.attention.method), QString("svg2"));
  QTRY_VERIFY_WITH_TIMEOUT(store->entries().size() == 3 && !store->isBusy(), 60000);
  // The same settings and seed: the same frames, so the same quality as the first sparse run.
  QCOMPARE(store->entries()[0].psnr, reportablePsnr(expected.psnr));
  const QString thirdId = store->entries()[0].id;

  // Delete removes the files and the index entry; the other runs stay.
  panel->selectIds({sparseId});
  panel->deleteSelected(false);
  QVERIFY(!QFileInfo::exists(store->runFolder(sparseId)));
  QCOMPARE(store->entries().size(), 2);
  QCOMPARE(panel->list()->count(), 2);
  QCOMPARE(indexedRuns(folder_), 2);
  // Deleting the dense twin leaves the sparse run without a reference to measure against.
  panel->selectIds({denseId});
  panel->deleteSelected(false);
  QVERIFY(!QFileInfo::exists(store->runFolder(denseId)));
  QCOMPARE(store->entries().size(), 1);
  QCOMPARE(store->entries()[0].id, thirdId);
  QVERIFY(!store->entries()[0].hasQuality());
  QVERIFY2(panel->list()->item(0)->text().contains("no dense twin"),
           qPrintable(panel->list()->item(0)->text()));

  // And a third reader sees what is left.
  HistoryStore reread(folder_);
  QCOMPARE(reread.entries().size(), 1);
  QCOMPARE(reread.entries()[0].id, thirdId);
  QCOMPARE(QDir(folder_).entryList(QDir::Dirs | QDir::NoDotAndDotDot), QStringList{thirdId});
}

QTEST_MAIN(TestHistory)
#include "test_history.moc"
