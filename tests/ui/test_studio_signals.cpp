// SIGTERM to the studio (a logout, `kill`): the window closes as Quit does, without a dialog that
// nobody will answer, the running generation is cancelled and the queue is saved (issue 23, item
// 9). Before, the default action killed the process and the queue added since the last save was
// lost.
#include "tests/support/test_support.h"

#include "ui/main_window.h"
#include "ui/prompt_panel.h"
#include "ui/run_queue.h"
#include "ui/signal_quit.h"
#include "ui/studio_controller.h"
#include "ui/studio_settings.h"

#include <QSettings>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QtTest>

#include <csignal>

using namespace svgen;
using namespace svgen::ui;

class TestStudioSignals : public QObject {
  Q_OBJECT
 private slots:
  void initTestCase() {
    QStandardPaths::setTestModeEnabled(true);
    QSettings::setPath(QSettings::IniFormat, QSettings::UserScope,
                       QString::fromStdString(test::freshDir("ui_signal_settings")));
  }

  void sigtermClosesLikeQuitAndKeepsTheQueue() {
    auto* window = new MainWindow;
    window->setAttribute(Qt::WA_DeleteOnClose);
    QPointer<MainWindow> alive(window);
    quitOnSignals(window, [window] { window->quitWithoutAsking(); });
    window->show();

    GenerationRequest r = window->promptPanel()->request();
    r.prompt = "a red circle moving right";
    r.frames = 8;
    r.width = r.height = 64;
    r.steps = 1000;  // still running when the signal comes
    r.device = "cpu";
    window->promptPanel()->setRequest(r);
    window->queue()->add(r);
    window->generate();
    QVERIFY(QTest::qWaitFor([&] { return window->controller()->isRunning(); }, 10000));

    std::raise(SIGTERM);
    QVERIFY(QTest::qWaitFor([&] { return alive.isNull(); }, 10000));
    const QStringList queued = openStudioSettings()->value(keys::kQueue).toStringList();
    QCOMPARE(queued.size(), 1);
    QVERIFY(queued.first().contains("a red circle moving right"));
  }
};

QTEST_MAIN(TestStudioSignals)
#include "test_studio_signals.moc"
