// The studio at the default 1280×800 after a real run (issue 22, item 6): what was seen on screen
// was the Sparsity dock's cost estimate below the fold, the queue's buttons scrolled out of the
// Run dock by the run's numbers, the "Time per step" tab shown as "Ti…", and the Attention tab
// raised over the Run dock's timings when a run ended. With SVGEN_SCREENSHOT_DIR set it also saves
// the window (studio-layout-<w>x<h>[@<scale>x].png); run it once more under QT_SCALE_FACTOR=2 for
// the HiDPI shot.
#include "tests/support/small_clip.h"
#include "tests/support/test_support.h"

#include "ui/main_window.h"
#include "ui/queue_panel.h"
#include "ui/run_panel.h"

#include <QDir>
#include <QDockWidget>
#include <QPushButton>
#include <QScrollArea>
#include <QTabBar>
#include <QTabWidget>
#include <QtTest>

using namespace svgen;
using namespace svgen::ui;

namespace {

// True when `w` is drawn whole inside the viewport of the scroll area that holds it.
bool wholeInView(QWidget* w) {
  QWidget* parent = w->parentWidget();
  while (parent && !qobject_cast<QScrollArea*>(parent)) parent = parent->parentWidget();
  auto* scroll = qobject_cast<QScrollArea*>(parent);
  if (!scroll || !w->isVisible()) return false;
  const QRect viewport = scroll->viewport()->rect();
  const QRect rect(w->mapTo(scroll->viewport(), QPoint(0, 0)), w->size());
  return viewport.contains(rect);
}

}  // namespace

class TestLayout : public QObject {
  Q_OBJECT
 private slots:
  void initTestCase() {
    QStandardPaths::setTestModeEnabled(true);
    QSettings::setPath(QSettings::IniFormat, QSettings::UserScope,
                       QString::fromStdString(test::freshDir("ui_layout_settings")));
  }

  void theDefaultWindowAfterARun_data() {
    QTest::addColumn<QSize>("size");
    QTest::newRow("1280x800") << QSize(1280, 800);
    QTest::newRow("1920x1080") << QSize(1920, 1080);
  }

  void theDefaultWindowAfterARun() {
    QFETCH(QSize, size);
    MainWindow window;
    window.resize(size);
    window.show();
    QVERIFY(QTest::qWaitForWindowExposed(&window));
    test::useSmallClip(window, "a red circle moving right on a blue background", 3);
    const RunOutcome outcome = test::runWithMethod(window, "svg");
    QVERIFY(outcome.attention);
    QApplication::processEvents();

    // The Run dock stays in front with the run's timings; its summary points to the explorer.
    auto* runDock = window.findChild<QDockWidget*>("runDock");
    QVERIFY(runDock && !runDock->visibleRegion().isEmpty());
    QVERIFY(window.runPanel()->timingsText().contains("Where the time went"));
    QVERIFY(window.runPanel()->attentionText().contains("Attention</b> tab"));

    // The queue's buttons are still in view under the run's numbers.
    auto* queue = window.findChild<QueuePanel*>("queuePanel");
    QVERIFY(queue);
    for (QPushButton* b : queue->findChildren<QPushButton*>())
      if (b->isVisible()) QVERIFY2(wholeInView(b), qPrintable(b->text()));

    // The Sparsity dock's estimate is in view without scrolling.
    QVERIFY(wholeInView(window.findChild<QWidget*>("estimate")));

    // Every Plots tab shows its whole name.
    auto* tabs = window.findChild<QWidget*>("plotsPanel")->findChild<QTabWidget*>();
    QVERIFY(tabs);
    QCOMPARE(tabs->tabBar()->elideMode(), Qt::ElideNone);
    for (int i = 0; i < tabs->count(); ++i) {
      const int text = tabs->tabBar()->fontMetrics().horizontalAdvance(tabs->tabText(i));
      QVERIFY2(tabs->tabBar()->tabRect(i).width() >= text, qPrintable(tabs->tabText(i)));
    }

    const QString out = qEnvironmentVariable("SVGEN_SCREENSHOT_DIR");
    if (!out.isEmpty()) {
      QDir().mkpath(out);
      const qreal scale = window.devicePixelRatioF();
      const QString name = QStringLiteral("%1/studio-layout-%2x%3%4.png")
                               .arg(out)
                               .arg(size.width())
                               .arg(size.height())
                               .arg(scale > 1 ? QStringLiteral("@%1x").arg(scale) : QString());
      QVERIFY(window.grab().save(name));
    }
  }
};

QTEST_MAIN(TestLayout)
#include "test_layout.moc"
