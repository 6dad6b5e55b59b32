// The player's keys as a user meets them (issue 22, item 3): Space types in the prompt but plays
// once the picture is clicked, Left/Right step frames after a click on the player (before, the
// click left the keyboard in the prompt and the arrows moved its cursor), and a focused slider
// owns its arrows (before, Right on the Attention step slider stepped the video instead).
#include "tests/support/small_clip.h"
#include "tests/support/test_support.h"

#include "ui/attention_explorer.h"
#include "ui/frame_view.h"
#include "ui/main_window.h"
#include "ui/player_widget.h"
#include "ui/prompt_panel.h"

#include <QPlainTextEdit>
#include <QSettings>
#include <QSlider>
#include <QSpinBox>
#include <QStandardPaths>
#include <QtTest>

using namespace svgen;
using namespace svgen::ui;

class TestPlayerKeys : public QObject {
  Q_OBJECT
 private slots:
  void initTestCase() {
    QStandardPaths::setTestModeEnabled(true);
    QSettings::setPath(QSettings::IniFormat, QSettings::UserScope,
                       QString::fromStdString(test::freshDir("ui_player_keys_settings")));
  }

  void keysGoWhereAUserExpects() {
    MainWindow window;
    window.show();
    QApplication::setActiveWindow(&window);
    if (!QTest::qWaitForWindowActive(&window)) QSKIP("this platform cannot activate windows");
    GenerationRequest r = test::useSmallClip(window, "a red circle moving right", 5);
    r.steps = 3;
    window.promptPanel()->setRequest(r);
    QVERIFY(test::runWithMethod(window, "svg2").result);
    PlayerWidget* player = window.player();
    QCOMPARE(player->frameCount(), 4);
    player->setLoop(false);
    if (player->isPlaying()) player->playAction()->trigger();  // a new clip starts playing
    QVERIFY(!player->isPlaying());

    // In the prompt, Space is a space.
    auto* prompt = window.findChild<QPlainTextEdit*>("prompt");
    prompt->setFocus();
    prompt->moveCursor(QTextCursor::End);
    const QString before = prompt->toPlainText();
    QTest::keyClick(prompt, Qt::Key_Space);
    QCOMPARE(prompt->toPlainText(), before + " ");
    QVERIFY(!player->isPlaying());

    // A click on the picture hands the keys to the player.
    auto* view = player->findChild<FrameView*>("frameView");
    QTest::mouseClick(view, Qt::LeftButton);
    QCOMPARE(QApplication::focusWidget(), static_cast<QWidget*>(view));
    const int first = player->currentFrame();
    QTest::keyClick(view, Qt::Key_Right);
    QCOMPARE(player->currentFrame(), first + 1);
    QTest::keyClick(view, Qt::Key_Left);
    QCOMPARE(player->currentFrame(), first);
    QTest::keyClick(view, Qt::Key_Space);
    QVERIFY(player->isPlaying());
    QTest::keyClick(view, Qt::Key_Space);
    QVERIFY(!player->isPlaying());
    QCOMPARE(prompt->toPlainText(), before + " ");

    // A focused slider or spin box takes its arrows; the video stays where it was.
    auto* steps = window.attentionExplorer()->findChild<QSlider*>("stepSlider");
    QVERIFY(steps && steps->maximum() > steps->minimum());
    steps->setValue(steps->minimum());
    steps->setFocus();
    const int frame = player->currentFrame();
    QTest::keyClick(steps, Qt::Key_Right);
    QCOMPARE(steps->value(), steps->minimum() + 1);
    QCOMPARE(player->currentFrame(), frame);
    auto* frames = window.promptPanel()->findChild<QSpinBox*>("frames");
    frames->setFocus();
    const int framesBefore = frames->value();
    QTest::keyClick(frames, Qt::Key_Up);
    QVERIFY(frames->value() > framesBefore);
    QTest::keyClick(frames, Qt::Key_Right);
    QCOMPARE(player->currentFrame(), frame);
  }
};

QTEST_MAIN(TestPlayerKeys)
#include "test_player_keys.moc"
