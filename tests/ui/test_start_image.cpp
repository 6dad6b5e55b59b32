// The prompt panel's start image (issue 25): shown for image-to-video models, chosen by file or by
// drop, carried in the request, restored from one, and explained: what the crop will keep.
#include "tests/support/test_support.h"
#include "tests/support/wan_fixture.h"

#include "core/text/sentencepiece_tokenizer.h"
#include "ui/history_store.h"
#include "ui/main_window.h"
#include "ui/model_picker.h"
#include "ui/prompt_panel.h"
#include "ui/run_types.h"
#include "ui/start_image_field.h"
#include "ui/studio_controller.h"

#include <QDir>
#include <QFileInfo>
#include <QImage>
#include <QSettings>
#include <QStandardPaths>
#include <QLabel>
#include <QMimeData>
#include <QPushButton>
#include <QTemporaryDir>
#include <QUrl>
#include <QtTest>

using namespace svgen;
using namespace svgen::ui;

namespace {

ModelInfo imageToVideo() {
  ModelInfo info;
  info.id = "/models/wan-i2v";
  info.label = "Wan 2.1 I2V";
  info.imageToVideo = true;
  info.defaultFrames = 81;
  info.frameMultiple = 4;
  info.frameOffset = 1;
  info.maxFrames = 161;
  info.defaultWidth = 832;
  info.defaultHeight = 480;
  info.sizeMultiple = 16;
  info.minSize = 16;
  info.maxSize = 2048;
  info.defaultSteps = 50;
  info.defaultGuidance = 5;
  info.defaultShift = 5;
  return info;
}

QString writeImage(const QTemporaryDir& dir, const QString& name, int width, int height) {
  QImage image(width, height, QImage::Format_RGB888);
  image.fill(QColor(200, 80, 40));
  const QString path = dir.filePath(name);
  image.save(path);
  return path;
}

}  // namespace

class TestStartImage : public QObject {
  Q_OBJECT
 private slots:
  void initTestCase() {
    QStandardPaths::setTestModeEnabled(true);
    QSettings::setPath(QSettings::IniFormat, QSettings::UserScope,
                       QString::fromStdString(test::freshDir("ui_start_image_settings")));
    QDir(HistoryStore::defaultFolder()).removeRecursively();
  }

  void anImageToVideoRunGoesThroughTheStudio() {
    // The whole way: pick an image-to-video folder, give the image, generate on the worker, and
    // the history keeps the run with its own copy of the image.
    if (!sentencePieceAvailable()) QSKIP("built without libsentencepiece-dev");
    const std::string folder = test::freshDir("ui_i2v_model");
    test::writeRandomI2vFolder(folder);
    QTemporaryDir dir;
    const QString image = writeImage(dir, "start.png", 128, 96);
    MainWindow window;
    window.show();
    PromptPanel* panel = window.promptPanel();
    QVERIFY(panel->modelPicker()->choose(QString::fromStdString(folder)));
    QVERIFY(panel->modelInfo().imageToVideo);
    QVERIFY(panel->findChild<StartImageField*>("startImage")->isVisible());
    GenerationRequest r = panel->request();
    r.prompt = "a red circle";
    r.frames = 5;
    r.width = 64;
    r.height = 48;
    r.steps = 2;
    r.device = "cpu";
    r.imagePath = image.toStdString();
    panel->setSeedLocked(true);
    panel->setRequest(r);
    QSignalSpy finished(window.controller(), &StudioController::finished);
    QSignalSpy added(window.history(), &HistoryStore::entryAdded);
    window.generate();
    QTRY_COMPARE_WITH_TIMEOUT(finished.count(), 1, 120000);
    const auto outcome = finished.first().first().value<RunOutcome>();
    QVERIFY2(outcome.result, "the run failed");
    QCOMPARE(outcome.result->video.frames, 5);
    QCOMPARE(QString::fromStdString(outcome.result->request.imagePath), image);
    QTRY_VERIFY_WITH_TIMEOUT(added.count() == 1 && !window.history()->isBusy(), 30000);
    const QString kept =
        QString::fromStdString(window.history()->entries().first().request.imagePath);
    QVERIFY2(QFileInfo(kept).fileName().startsWith("start-image-"), qPrintable(kept));
    QVERIFY(QFileInfo::exists(kept));
  }

  void shownOnlyForImageToVideo() {
    PromptPanel panel;
    panel.show();
    auto* field = panel.findChild<StartImageField*>("startImage");
    QVERIFY(field);
    ModelInfo t2v = imageToVideo();
    t2v.imageToVideo = false;
    panel.setModelInfo(t2v);
    QVERIFY(!field->isVisible());
    panel.setModelInfo(imageToVideo());
    QVERIFY(field->isVisible());
    QVERIFY(panel.request().imagePath.empty());
    QVERIFY(!field->note().contains("Optional"));
    // TI2V makes video from text alone too: the field is there, and says the image is optional.
    ModelInfo ti2v = imageToVideo();
    ti2v.imageOptional = true;
    panel.setModelInfo(ti2v);
    QVERIFY(field->isVisible());
    QVERIFY2(field->note().startsWith("Optional"), qPrintable(field->note()));
  }

  void chosenImageGoesIntoTheRequestAndBack() {
    QTemporaryDir dir;
    const QString wide = writeImage(dir, "wide.png", 400, 100);
    PromptPanel panel;
    panel.show();
    panel.setModelInfo(imageToVideo());
    auto* field = panel.findChild<StartImageField*>("startImage");
    QSignalSpy edited(&panel, &PromptPanel::edited);
    field->setPath(wide);
    emit field->changed();
    QCOMPARE(edited.count(), 1);
    QCOMPARE(QString::fromStdString(panel.request().imagePath), wide);
    // 4:1 into 832×480: the sides go.
    QVERIFY2(field->note().contains("400×100") && field->note().contains("sides are cropped"),
             qPrintable(field->note()));
    // 832×480 out of 400×100: the middle 173.3 pixels of each row are kept, and shown so.
    const QRectF kept = field->keptRect();
    QVERIFY(std::abs(kept.width() - 100 * 832.0 / 480) < 1e-6 && kept.height() == 100);
    QVERIFY(std::abs(kept.center().x() - 200) < 1e-6);
    auto* thumbnail = field->findChild<QLabel*>("startImageThumbnail");
    QVERIFY(!thumbnail->pixmap().isNull());

    // A request restores it; Clear empties it.
    GenerationRequest r = panel.request();
    PromptPanel other;
    other.setModelInfo(imageToVideo());
    other.setRequest(r);
    QCOMPARE(other.request().imagePath, r.imagePath);
    other.findChild<QPushButton*>("clearStartImage")->click();
    QVERIFY(other.request().imagePath.empty());

    // A tall image loses its top and bottom; a file that is no image says so.
    field->setPath(writeImage(dir, "tall.png", 100, 300));
    QVERIFY2(field->note().contains("top and bottom"), qPrintable(field->note()));
    const QString text = dir.filePath("notes.png");
    QFile f(text);
    QVERIFY(f.open(QIODevice::WriteOnly));
    f.write("plain text");
    f.close();
    field->setPath(text);
    QVERIFY2(field->note().contains("cannot be read"), qPrintable(field->note()));
  }

  void anImageDroppedOnTheFieldIsTaken() {
    QTemporaryDir dir;
    const QString path = writeImage(dir, "drop.jpg", 832, 480);
    StartImageField field;
    field.setClipSize(832, 480);
    field.show();
    QMimeData mime;
    mime.setUrls({QUrl::fromLocalFile(path)});
    QDragEnterEvent enter(QPoint(5, 5), Qt::CopyAction, &mime, Qt::LeftButton, Qt::NoModifier);
    QApplication::sendEvent(&field, &enter);
    QVERIFY(enter.isAccepted());
    QSignalSpy changed(&field, &StartImageField::changed);
    QDropEvent drop(QPointF(5, 5), Qt::CopyAction, &mime, Qt::LeftButton, Qt::NoModifier);
    QApplication::sendEvent(&field, &drop);
    QCOMPARE(changed.count(), 1);
    QCOMPARE(field.path(), path);
    QVERIFY2(field.note().contains("fills the clip"), qPrintable(field.note()));
    // Not an image: refused at the door.
    QMimeData other;
    other.setUrls({QUrl::fromLocalFile(dir.filePath("clip.mp4"))});
    QDragEnterEvent refused(QPoint(5, 5), Qt::CopyAction, &other, Qt::LeftButton, Qt::NoModifier);
    refused.setAccepted(false);
    QApplication::sendEvent(&field, &refused);
    QVERIFY(!refused.isAccepted());
  }
};

QTEST_MAIN(TestStartImage)
#include "test_start_image.moc"
