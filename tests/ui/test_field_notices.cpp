// A number the studio cannot keep as typed is explained at the field (issue 22, item 4): density
// 1.5 became 1.00, a width of 100 became 112 and 77 frames became 81 without a word. Each case
// was silent before; each must now say what was kept and why.
#include "tests/support/test_support.h"

#include "ui/main_window.h"
#include "ui/prompt_panel.h"
#include "ui/run_queue.h"
#include "ui/sparsity_panel.h"
#include "ui/studio_controller.h"

#include <QDoubleSpinBox>
#include <QPlainTextEdit>
#include <QSettings>
#include <QSpinBox>
#include <QStandardPaths>
#include <QtTest>

using namespace svgen;
using namespace svgen::ui;

namespace {

// Types `text` over the box's contents and presses Return, as a user does.
QString typeInto(QAbstractSpinBox* box, const QString& text) {
  box->setFocus();
  box->selectAll();
  QTest::keyClicks(box, text);
  QTest::keyClick(box, Qt::Key_Return);
  QTest::qWait(50);
  return box->property("adjustmentNotice").toString();
}

}  // namespace

class TestFieldNotices : public QObject {
  Q_OBJECT
 private slots:
  void initTestCase() {
    QStandardPaths::setTestModeEnabled(true);
    QSettings::setPath(QSettings::IniFormat, QSettings::UserScope,
                       QString::fromStdString(test::freshDir("ui_field_notice_settings")));
  }

  void adjustedValuesAreExplained() {
    MainWindow window;
    window.show();
    AttentionConfig a = window.sparsityPanel()->config();
    a.method = "svg";
    window.sparsityPanel()->setConfig(a);

    auto* density = window.sparsityPanel()->findChild<QDoubleSpinBox*>("svgDensity");
    QVERIFY(density);
    QString notice = typeInto(density, "1.5");
    QCOMPARE(density->value(), density->maximum());
    QVERIFY2(notice.contains("1.5") && notice.contains("kept"), qPrintable(notice));

    // A value the box keeps as typed clears the notice.
    notice = typeInto(density, "0.5");
    QCOMPARE(density->value(), 0.5);
    QVERIFY2(notice.isEmpty(), qPrintable(notice));

    auto* width = window.promptPanel()->findChild<QSpinBox*>("width");
    notice = typeInto(width, "100");
    QVERIFY(width->value() != 100);
    QVERIFY2(notice.contains("100") && notice.contains(QString::number(width->value())),
             qPrintable(notice));

    auto* steps = window.promptPanel()->findChild<QSpinBox*>("steps");
    const QString tooMany = QString::number(steps->maximum() + 1);
    notice = typeInto(steps, tooMany);
    QVERIFY(steps->value() <= steps->maximum());
    QVERIFY2(notice.contains(tooMany + " is outside") && notice.contains("kept"),
             qPrintable(notice));
  }

  // Another model's defaults replacing the fields are said, with what they were (issue 22, item 4).
  void switchingModelsSaysWhatChanged() {
    MainWindow window;
    window.show();
    QVERIFY(window.promptPanel()->defaultsNotice().isEmpty());
    GenerationRequest r = window.promptPanel()->request();
    r.frames = 4;
    r.steps = 3;
    window.promptPanel()->setRequest(r);
    QVERIFY(window.setModel(test::sourcePath("tests/fixtures/wan_tiny")));
    const QString notice = window.promptPanel()->defaultsNotice();
    QVERIFY2(notice.contains("defaults") && notice.contains("were 4 frames") &&
                 notice.contains("3 steps"),
             qPrintable(notice));
  }

  // An empty prompt is refused at the prompt, not run as the grey example (issue 22, item 4).
  void anEmptyPromptIsAskedFor() {
    MainWindow window;
    window.show();
    GenerationRequest r = window.promptPanel()->request();
    r.prompt.clear();
    window.promptPanel()->setRequest(r);
    window.generate();
    QVERIFY(!window.controller()->isRunning());
    QVERIFY(window.promptPanel()->promptNotice().contains("Type a prompt"));
    window.addToQueue();
    QCOMPARE(window.queue()->size(), 0);
    auto* prompt = window.promptPanel()->findChild<QPlainTextEdit*>("prompt");
    QTest::keyClicks(prompt, "a red circle");
    QVERIFY(window.promptPanel()->promptNotice().isEmpty());
  }
};

QTEST_MAIN(TestFieldNotices)
#include "test_field_notices.moc"
