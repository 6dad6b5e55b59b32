// A past run is not a dead end (issue 22, item 1): after a restart, Enter or a double-click on a
// History entry puts its clip in the player frame for frame and enables Export, which writes that
// clip with the run's own settings; the context menu offers every action; each run shows its
// speed against its dense twin, or says it has none.
#include "core/io/video_reader.h"
#include "core/pipeline/request_json.h"
#include "tests/support/small_clip.h"
#include "tests/support/test_support.h"

#include "ui/attention_explorer.h"
#include "ui/compare_player.h"
#include "ui/history_panel.h"
#include "ui/history_store.h"
#include "ui/main_window.h"
#include "ui/player_widget.h"
#include "ui/prompt_panel.h"

#include <QAction>
#include <QDir>
#include <QDockWidget>
#include <QFileInfo>
#include <QListWidget>
#include <QMenu>
#include <QSettings>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QtTest>

using namespace svgen;
using namespace svgen::ui;

class TestHistoryOpen : public QObject {
  Q_OBJECT
 private slots:
  void initTestCase() {
    QStandardPaths::setTestModeEnabled(true);
    QSettings::setPath(QSettings::IniFormat, QSettings::UserScope,
                       QString::fromStdString(test::freshDir("ui_history_open_settings")));
    QDir(HistoryStore::defaultFolder()).removeRecursively();
  }

  void aPastRunOpensAndExportsAfterARestart() {
    QVector<QImage> sparseFrames;
    size_t sparseSteps = 0;
    {
      MainWindow window;
      window.show();
      test::useSmallClip(window, "a red circle moving right", 21);
      QVERIFY(test::runWithMethod(window, "dense").result);
      const RunOutcome sparse = test::runWithMethod(window, "svg2");
      QVERIFY(sparse.result);
      sparseFrames = sparse.frames;
      QVERIFY(sparse.attention && !sparse.attention->empty());
      sparseSteps = window.attentionExplorer()->steps().size();
      QVERIFY(sparseSteps > 0);
      auto* history = window.findChild<HistoryStore*>();
      QVERIFY(QTest::qWaitFor([&] { return !history->isBusy(); }, 60000));
    }

    MainWindow window;
    window.show();
    PlayerWidget* player = window.player();
    QCOMPARE(player->frameCount(), 0);
    auto* exportAction = window.findChild<QAction*>("exportAction");
    QVERIFY(exportAction && !exportAction->isEnabled());

    HistoryPanel* panel = window.historyPanel();
    QCOMPARE(panel->list()->count(), 2);
    // The sparse run says how fast it ran against its twin; the dense one is the reference.
    const QString sparseText = panel->list()->item(0)->text();
    QVERIFY2(QRegularExpression("vs dense: [0-9.]+× the speed").match(sparseText).hasMatch(),
             qPrintable(sparseText));
    QVERIFY(panel->list()->item(1)->text().contains("dense reference"));

    // Enter on the newest entry (the SVG2 run) opens it.
    panel->list()->setFocus();
    panel->selectIds({panel->list()->item(0)->data(Qt::UserRole).toString()});
    QSignalSpy opened(&window, &MainWindow::runOpened);
    QTest::keyClick(panel->list(), Qt::Key_Return);
    QVERIFY(QTest::qWaitFor([&] { return opened.count() == 1; }, 30000));
    QVERIFY(opened.first().at(1).toBool());
    QCOMPARE(player->frameCount(), sparseFrames.size());
    for (int t = 0; t < sparseFrames.size(); ++t) {
      player->showFrame(t);
      QCOMPARE(player->currentImage().convertToFormat(QImage::Format_RGB888),
               sparseFrames[t].convertToFormat(QImage::Format_RGB888));
    }
    QVERIFY(exportAction->isEnabled());
    QCOMPARE(QString::fromStdString(window.lastResult()->request.attention.method),
             QString("svg2"));
    // Its attention record was kept with it: the explorer works for the past run.
    QVERIFY(window.attentionExplorer()->hasRecord());
    QCOMPARE(window.attentionExplorer()->steps().size(), sparseSteps);

    // Export writes the past run with its own settings.
    const QString out =
        QString::fromStdString(test::freshDir("ui_history_open_export")) + "/past.y4m";
    QSignalSpy exported(&window, &MainWindow::exportFinished);
    window.exportTo(out);
    QVERIFY(QTest::qWaitFor([&] { return exported.count() == 1; }, 30000));
    QVERIFY2(exported.first().at(0).toBool(), qPrintable(exported.first().at(2).toString()));
    const VideoFile file = readVideo(out.toStdString());
    QCOMPARE(file.video.frames, int(sparseFrames.size()));
    QCOMPARE(QString::fromStdString(requestFromJson(file.metadataJson).attention.method),
             QString("svg2"));

    // A double-click opens the other one (on the History dock, brought to the front).
    for (QWidget* w = panel; w; w = w->parentWidget())
      if (auto* dock = qobject_cast<QDockWidget*>(w)) dock->raise();
    QVERIFY(QTest::qWaitFor([&] { return panel->list()->isVisible(); }, 5000));
    const QRect rect = panel->list()->visualItemRect(panel->list()->item(1));
    // A press first, as a real double-click has: the view opens only what was pressed.
    QTest::mousePress(panel->list()->viewport(), Qt::LeftButton, {}, rect.center());
    QTest::mouseDClick(panel->list()->viewport(), Qt::LeftButton, {}, rect.center());
    QVERIFY(QTest::qWaitFor([&] { return opened.count() == 2; }, 30000));
    QCOMPARE(QString::fromStdString(window.lastResult()->request.attention.method),
             QString("dense"));

    // Records are kept within their budget: past it the oldest runs lose theirs (not their
    // clips), and the studio says so.
    auto* history = window.findChild<HistoryStore*>();
    QVERIFY(history->entries()[0].hasRecord && history->entries()[1].hasRecord);
    QSignalSpy evicted(history, &HistoryStore::recordsEvicted);
    const double newest =
        double(
            QFileInfo(history->runFolder(history->entries()[0].id) + "/attention.json.z").size()) /
        (1 << 20);
    history->setRecordBudgetMiB(newest * 1.01);
    QCOMPARE(evicted.count(), 1);
    QCOMPARE(evicted.first().first().toInt(), 1);
    QVERIFY(history->entries()[0].hasRecord);
    QVERIFY(!history->entries()[1].hasRecord);
    QCOMPARE(history->entries().size(), 2);

    // Twins compare without a warning.
    window.compareRuns(history->entries()[1].id, history->entries()[0].id);
    auto* compare = window.comparePlayer();
    QVERIFY(compare && compare->warningText().isEmpty());

    // Every action on the context menu.
    std::unique_ptr<QMenu> menu(panel->contextMenu());
    QStringList texts;
    for (QAction* a : menu->actions())
      if (!a->isSeparator()) texts << a->text();
    QCOMPARE(texts, (QStringList{"Open in the player", "Export…", "Show in folder", "Re-run",
                                 "Compare", "Delete…"}));

    // Filtered by method, prompt words or model; every word must match.
    auto listedMethods = [&] {
      QStringList methods;
      for (int i = 0; i < panel->list()->count(); ++i) {
        const QString id = panel->list()->item(i)->data(Qt::UserRole).toString();
        methods << QString::fromStdString(
            window.findChild<HistoryStore*>()->find(id)->request.attention.method);
      }
      return methods;
    };
    panel->setFilter("svg2");
    QCOMPARE(listedMethods(), QStringList{"svg2"});
    panel->setFilter("RED circle dense");
    QCOMPARE(listedMethods(), QStringList{"dense"});
    panel->setFilter("built-in");
    QCOMPARE(listedMethods(), (QStringList{"svg2", "dense"}));
    panel->setFilter("blue square");
    QCOMPARE(panel->list()->count(), 0);
    panel->setFilter({});
    QCOMPARE(panel->list()->count(), 2);

    // The gallery: a grid of thumbnails with short captions, the whole row in the tooltip.
    panel->setGallery(true);
    QVERIFY(panel->isGallery());
    QCOMPARE(panel->list()->viewMode(), QListView::IconMode);
    QCOMPARE(panel->list()->count(), 2);
    QVERIFY(!panel->list()->item(0)->icon().isNull());
    QVERIFY(!panel->list()->item(0)->text().contains("PSNR"));
    QVERIFY(panel->list()->item(0)->toolTip().contains("vs dense"));
    panel->setGallery(false);
    QCOMPARE(panel->list()->viewMode(), QListView::ListMode);

    // Runs that differ in more than their attention: Compare says which settings differ.
    GenerationRequest r = window.promptPanel()->request();
    r.steps = 3;
    window.promptPanel()->setRequest(r);
    QVERIFY(test::runWithMethod(window, "dense").result);
    QVERIFY(QTest::qWaitFor([&] { return !history->isBusy(); }, 60000));
    QCOMPARE(history->entries().size(), 3);
    window.compareRuns(history->entries()[0].id, history->entries()[1].id);
    QVERIFY2(window.comparePlayer()->warningText().contains("steps 3 vs 2"),
             qPrintable(window.comparePlayer()->warningText()));
  }
};

QTEST_MAIN(TestHistoryOpen)
#include "test_history_open.moc"
