// The side-by-side player offscreen, on two real small runs of the built-in model (dense and
// SVG2, same prompt and seed): both sides always show the same frame index through step, scrub
// and play; per-frame and whole-clip PSNR/SSIM are core/pipeline/video_quality's numbers; clips of
// different sizes say why they cannot be compared; the History dock's Compare opens it on a run and
// its twin.
#include "core/attention/clustering/cluster_parameters.h"
#include "core/attention/warmup.h"
#include "tests/support/test_support.h"

#include "core/pipeline/video_quality.h"
#include "ui/compare_player.h"
#include "ui/history_panel.h"
#include "ui/history_store.h"
#include "ui/main_window.h"
#include "ui/prompt_panel.h"
#include "ui/sparsity_panel.h"
#include "ui/studio_controller.h"
#include "ui/video_images.h"

#include <QDir>
#include <QPushButton>
#include <QSettings>
#include <QSignalSpy>
#include <QSlider>
#include <QStandardPaths>
#include <QtTest>

using namespace svgen;
using namespace svgen::ui;

namespace {

constexpr int kRunTimeoutMs = 240000;

QString dB(double v) {
  return QString::number(v, 'f', 2) + " dB";
}

}  // namespace

class TestComparePlayer : public QObject {
  Q_OBJECT
 private slots:
  void initTestCase();
  void twoRealRunsSideBySide();
  void clipsOfDifferentSizesSayWhy();

 private:
  std::shared_ptr<const GenerationResult> dense_, sparse_;
};

void TestComparePlayer::initTestCase() {
  QStandardPaths::setTestModeEnabled(true);
  QSettings::setPath(QSettings::IniFormat, QSettings::UserScope,
                     QString::fromStdString(test::freshDir("ui_compare_settings")));
  QDir(HistoryStore::defaultFolder()).removeRecursively();
}

void TestComparePlayer::twoRealRunsSideBySide() {
  MainWindow window;
  window.show();
  GenerationRequest r = window.promptPanel()->request();
  r.prompt = "a yellow star moving left on a black background";
  r.negativePrompt.clear();
  r.frames = 5;
  r.width = r.height = 64;
  r.steps = 2;
  r.seed = 5;
  r.device = "cpu";
  window.promptPanel()->setSeedLocked(true);
  window.promptPanel()->setRequest(r);
  QSignalSpy finished(window.controller(), &StudioController::finished);
  for (const char* method : {"dense", "svg2"}) {
    AttentionConfig a = window.sparsityPanel()->config();
    a.method = method;
    a.set(warmup::fraction, 0);
    a.set(clustering::topP, 0.3);
    window.sparsityPanel()->setConfig(a);
    const int before = finished.count();
    window.generate();
    QTRY_COMPARE_WITH_TIMEOUT(finished.count(), before + 1, kRunTimeoutMs);
  }
  dense_ = finished.at(0).first().value<RunOutcome>().result;
  sparse_ = finished.at(1).first().value<RunOutcome>().result;
  const QVector<QImage> a = clipImages(dense_->video), b = clipImages(sparse_->video);
  const VideoQuality q = compareVideos(dense_->video, sparse_->video);

  ComparePlayer player;
  player.resize(800, 500);
  player.show();
  QSignalSpy ready(&player, &ComparePlayer::ready);
  player.setClips(dense_->video, "dense", sparse_->video, "svg2");
  QTRY_COMPARE_WITH_TIMEOUT(ready.count(), 1, 30000);
  QVERIFY(player.errorText().isEmpty());
  QCOMPARE(player.frameCount(), r.frames);
  QCOMPARE(player.quality().framePsnr, q.framePsnr);
  QCOMPARE(player.quality().frameSsim, q.frameSsim);
  const QString clip = player.clipQualityText();
  QVERIFY2(clip.contains(dB(q.psnr)) && clip.contains(QString::number(q.ssim, 'f', 4)),
           qPrintable(clip));

  auto check = [&](int frame) {
    QCOMPARE(player.currentFrame(), frame);
    QCOMPARE(player.leftImage(), a[frame]);
    QCOMPARE(player.rightImage(), b[frame]);
    const QString text = player.frameQualityText();
    QVERIFY2(text.startsWith(QString("Frame %1:").arg(frame + 1)) &&
                 text.contains(dB(q.framePsnr[size_t(frame)])) &&
                 text.contains(QString::number(q.frameSsim[size_t(frame)], 'f', 4)),
             qPrintable(text));
  };
  check(0);
  // Step with the keys, as a user does.
  player.setFocus();
  QTest::keyClick(&player, Qt::Key_Right);
  check(1);
  QTest::keyClick(&player, Qt::Key_Right);
  check(2);
  QTest::keyClick(&player, Qt::Key_Left);
  check(1);
  player.stepBack();
  player.stepBack();  // loops to the last frame
  check(r.frames - 1);
  // Scrub.
  player.findChild<QSlider*>("compareScrubber")->setValue(3);
  check(3);
  // Play: every frame shown is the same index on both sides.
  QSignalSpy shown(&player, &ComparePlayer::frameShown);
  connect(&player, &ComparePlayer::frameShown, this, [&](int f) {
    QCOMPARE(player.leftImage(), a[f]);
    QCOMPARE(player.rightImage(), b[f]);
  });
  QTest::keyClick(&player, Qt::Key_Space);
  QVERIFY(player.isPlaying());
  QTRY_VERIFY_WITH_TIMEOUT(shown.count() >= r.frames + 1, 10000);
  player.pause();
  disconnect(&player, &ComparePlayer::frameShown, this, nullptr);

  // From the History dock: one sparse run selected, Compare opens it beside its dense twin.
  HistoryStore* store = window.history();
  QTRY_VERIFY_WITH_TIMEOUT(store->entries().size() == 2 && store->entries()[0].hasQuality(), 60000);
  HistoryPanel* panel = window.historyPanel();
  panel->selectIds({store->entries()[0].id});
  QTest::mouseClick(panel->findChild<QPushButton*>("historyCompareButton"), Qt::LeftButton);
  ComparePlayer* fromHistory = window.comparePlayer();
  QVERIFY(fromHistory);
  QVERIFY(fromHistory->isVisible());
  QTRY_VERIFY_WITH_TIMEOUT(fromHistory->isReady(), 30000);
  QVERIFY(fromHistory->errorText().isEmpty());
  QCOMPARE(fromHistory->quality().framePsnr, q.framePsnr);
  QCOMPARE(reportablePsnr(fromHistory->quality().psnr), store->entries()[0].psnr);
  QCOMPARE(fromHistory->leftImage(), a[0]);
  QCOMPARE(fromHistory->rightImage(), b[0]);
}

void TestComparePlayer::clipsOfDifferentSizesSayWhy() {
  QVERIFY(dense_);
  Video small;
  small.frames = dense_->video.frames;
  small.width = small.height = 32;
  small.rgb.assign(small.frameBytes() * small.frames, 128);
  ComparePlayer player;
  QSignalSpy ready(&player, &ComparePlayer::ready);
  player.setClips(dense_->video, "a", small, "b");
  QTRY_COMPARE_WITH_TIMEOUT(ready.count(), 1, 30000);
  QVERIFY(!player.errorText().isEmpty());
  QVERIFY2(player.frameQualityText().contains("cannot be compared"),
           qPrintable(player.frameQualityText()));
  QCOMPARE(player.frameCount(), 0);
  player.stepForward();  // nothing to show, nothing to crash
}

QTEST_MAIN(TestComparePlayer)
#include "test_compare_player.moc"
