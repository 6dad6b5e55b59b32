#include "ui/compare_player.h"

#include "ui/frame_view.h"
#include "ui/video_images.h"

#include <QAction>
#include <QFutureWatcher>
#include <QGridLayout>
#include <QLabel>
#include <QSlider>
#include <QVBoxLayout>
#include <QtConcurrent>

#include <algorithm>
#include <cmath>

namespace svgen::ui {

struct ComparePlayer::Loaded {
  QVector<QImage> left, right;
  VideoQuality quality;
  QString error;
  double fps = 8;
};

namespace {

QString psnrText(double psnr) {
  return std::isinf(psnr) ? ComparePlayer::tr("identical")
                          : ComparePlayer::tr("%1 dB").arg(psnr, 0, 'f', 2);
}

}  // namespace

ComparePlayer::ComparePlayer(QWidget* parent) : QWidget(parent) {
  setObjectName("comparePlayer");
  leftView_ = new FrameView(this);
  leftView_->setObjectName("compareLeft");
  rightView_ = new FrameView(this);
  rightView_->setObjectName("compareRight");
  leftView_->setPlaceholder(tr("Loading…"));
  rightView_->setPlaceholder(tr("Loading…"));
  leftTitle_ = new QLabel(this);
  rightTitle_ = new QLabel(this);
  for (QLabel* l : {leftTitle_, rightTitle_}) {
    l->setWordWrap(true);
    l->setAlignment(Qt::AlignHCenter);
  }
  frameQuality_ = new QLabel(this);
  frameQuality_->setObjectName("frameQuality");
  warning_ = new QLabel(this);
  warning_->setObjectName("compareWarning");
  warning_->setWordWrap(true);
  warning_->hide();
  clipQuality_ = new QLabel(this);
  clipQuality_->setObjectName("clipQuality");
  clipQuality_->setWordWrap(true);
  QFont bold = frameQuality_->font();
  bold.setBold(true);
  frameQuality_->setFont(bold);

  transport_ = new PlaybackTransport(this);
  transport_->scrubber()->setObjectName("compareScrubber");
  // The compare view sits beside the main window's own player: its keys act only within it.
  for (QAction* a : transport_->transportActions())
    a->setShortcutContext(Qt::WidgetWithChildrenShortcut);
  addActions(transport_->transportActions());

  auto* views = new QGridLayout;
  views->addWidget(leftTitle_, 0, 0);
  views->addWidget(rightTitle_, 0, 1);
  views->addWidget(leftView_, 1, 0);
  views->addWidget(rightView_, 1, 1);
  views->setRowStretch(1, 1);
  auto* column = new QVBoxLayout(this);
  column->addWidget(warning_);
  column->addLayout(views, 1);
  column->addWidget(transport_);
  column->addWidget(frameQuality_);
  column->addWidget(clipQuality_);

  connect(transport_, &PlaybackTransport::frameChanged, this, &ComparePlayer::presentFrame);
}

ComparePlayer::~ComparePlayer() = default;

void ComparePlayer::setClips(const Video& reference, const QString& referenceLabel,
                             const Video& other, const QString& otherLabel) {
  load([reference, other] { return std::make_pair(reference, other); }, referenceLabel, otherLabel);
}

void ComparePlayer::load(std::function<std::pair<Video, Video>()> loader,
                         const QString& referenceLabel, const QString& otherLabel) {
  const int generation = ++generation_;
  ready_ = false;
  error_.clear();
  left_.clear();
  right_.clear();
  leftView_->setImage({});
  rightView_->setImage({});
  leftTitle_->setText(referenceLabel);
  rightTitle_->setText(otherLabel);
  frameQuality_->setText(tr("Measuring…"));
  clipQuality_->clear();
  transport_->reset(0, 8);
  auto* watcher = new QFutureWatcher<Loaded>(this);
  connect(watcher, &QFutureWatcher<Loaded>::finished, this, [this, watcher, generation] {
    watcher->deleteLater();
    if (generation != generation_) return;
    present(watcher->result());
  });
  watcher->setFuture(QtConcurrent::run([loader] {
    Loaded out;
    try {
      const auto [a, b] = loader();
      out.fps = a.fps;
      out.left = clipImages(a);
      out.right = clipImages(b);
      out.quality = compareVideos(a, b);
    } catch (const std::exception& e) {
      out.error = QString::fromStdString(e.what());
    }
    return out;
  }));
}

void ComparePlayer::present(const Loaded& loaded) {
  error_ = loaded.error;
  left_ = loaded.left;
  right_ = loaded.right;
  quality_ = loaded.quality;
  if (!error_.isEmpty()) {
    left_.clear();
    right_.clear();
    frameQuality_->setText(tr("These runs cannot be compared: %1").arg(error_));
  }
  ready_ = true;
  if (error_.isEmpty()) {
    double meanFramePsnr = 0;
    int finite = 0;
    for (double p : quality_.framePsnr)
      if (std::isfinite(p)) meanFramePsnr += p, ++finite;
    clipQuality_->setText(
        tr("Whole clip: PSNR %1 (one MSE over all frames) · mean SSIM %2 · mean of per-frame "
           "PSNR %3 · worst frame %4")
            .arg(psnrText(quality_.psnr))
            .arg(quality_.ssim, 0, 'f', 4)
            .arg(finite ? psnrText(meanFramePsnr / finite) : psnrText(INFINITY))
            .arg(1 + int(std::min_element(quality_.frameSsim.begin(), quality_.frameSsim.end()) -
                         quality_.frameSsim.begin())));
  }
  transport_->reset(frameCount(), loaded.fps);
  emit ready();
}

const QImage& ComparePlayer::leftImage() const {
  return leftView_->image();
}

const QImage& ComparePlayer::rightImage() const {
  return rightView_->image();
}

QString ComparePlayer::frameQualityText() const {
  return frameQuality_->text();
}

void ComparePlayer::setWarning(const QString& text) {
  warning_->setText(
      text.isEmpty()
          ? QString()
          : QStringLiteral("<span style='color:#f0a040'>%1</span>").arg(text.toHtmlEscaped()));
  warning_->setVisible(!text.isEmpty());
}

QString ComparePlayer::warningText() const {
  return warning_->isVisible() ? warning_->text() : QString();
}

QString ComparePlayer::clipQualityText() const {
  return clipQuality_->text();
}

void ComparePlayer::presentFrame(int frame) {
  // One place sets both views: they cannot drift apart.
  leftView_->setImage(left_[frame]);
  rightView_->setImage(right_[frame]);
  if (size_t(frame) < quality_.framePsnr.size())
    frameQuality_->setText(tr("Frame %1: PSNR %2 · SSIM %3")
                               .arg(frame + 1)
                               .arg(psnrText(quality_.framePsnr[size_t(frame)]))
                               .arg(quality_.frameSsim[size_t(frame)], 0, 'f', 4));
  emit frameShown(frame);
}

}  // namespace svgen::ui
