#include "ui/compare_player.h"

#include "ui/frame_view.h"
#include "ui/video_images.h"

#include <QAction>
#include <QCheckBox>
#include <QFutureWatcher>
#include <QGridLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QSlider>
#include <QStyle>
#include <QToolButton>
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
  clipQuality_ = new QLabel(this);
  clipQuality_->setObjectName("clipQuality");
  clipQuality_->setWordWrap(true);
  QFont bold = frameQuality_->font();
  bold.setBold(true);
  frameQuality_->setFont(bold);

  playAction_ = new QAction(style()->standardIcon(QStyle::SP_MediaPlay), tr("Play"), this);
  playAction_->setShortcut(Qt::Key_Space);
  previousAction_ =
      new QAction(style()->standardIcon(QStyle::SP_MediaSeekBackward), tr("Previous frame"), this);
  previousAction_->setShortcut(Qt::Key_Left);
  nextAction_ =
      new QAction(style()->standardIcon(QStyle::SP_MediaSeekForward), tr("Next frame"), this);
  nextAction_->setShortcut(Qt::Key_Right);
  for (QAction* a : {playAction_, previousAction_, nextAction_})
    a->setShortcutContext(Qt::WidgetWithChildrenShortcut);
  addActions({playAction_, previousAction_, nextAction_});
  auto button = [this](QAction* action) {
    auto* b = new QToolButton(this);
    b->setDefaultAction(action);
    b->setAutoRaise(true);
    b->setIconSize(QSize(22, 22));
    return b;
  };
  scrubber_ = new QSlider(Qt::Horizontal, this);
  scrubber_->setObjectName("compareScrubber");
  scrubber_->setFocusPolicy(Qt::NoFocus);
  counter_ = new QLabel(this);
  counter_->setMinimumWidth(counter_->fontMetrics().horizontalAdvance("000 / 000"));
  counter_->setAlignment(Qt::AlignRight | Qt::AlignVCenter);
  loop_ = new QCheckBox(tr("Loop"), this);
  loop_->setChecked(true);
  loop_->setFocusPolicy(Qt::NoFocus);

  auto* views = new QGridLayout;
  views->addWidget(leftTitle_, 0, 0);
  views->addWidget(rightTitle_, 0, 1);
  views->addWidget(leftView_, 1, 0);
  views->addWidget(rightView_, 1, 1);
  views->setRowStretch(1, 1);
  auto* controls = new QHBoxLayout;
  controls->addWidget(button(previousAction_));
  controls->addWidget(button(playAction_));
  controls->addWidget(button(nextAction_));
  controls->addWidget(scrubber_, 1);
  controls->addWidget(counter_);
  controls->addWidget(loop_);
  auto* column = new QVBoxLayout(this);
  column->addLayout(views, 1);
  column->addLayout(controls);
  column->addWidget(frameQuality_);
  column->addWidget(clipQuality_);

  timer_.setTimerType(Qt::PreciseTimer);
  connect(&timer_, &QTimer::timeout, this, &ComparePlayer::advance);
  connect(playAction_, &QAction::triggered, this, &ComparePlayer::togglePlay);
  connect(previousAction_, &QAction::triggered, this, &ComparePlayer::stepBack);
  connect(nextAction_, &QAction::triggered, this, &ComparePlayer::stepForward);
  connect(scrubber_, &QSlider::valueChanged, this, &ComparePlayer::showFrame);
  connect(scrubber_, &QSlider::sliderPressed, this, &ComparePlayer::pause);
  updateControls();
}

ComparePlayer::~ComparePlayer() = default;

void ComparePlayer::setClips(const Video& reference, const QString& referenceLabel,
                             const Video& other, const QString& otherLabel) {
  load([reference, other] { return std::make_pair(reference, other); }, referenceLabel, otherLabel);
}

void ComparePlayer::load(std::function<std::pair<Video, Video>()> loader,
                         const QString& referenceLabel, const QString& otherLabel) {
  const int generation = ++generation_;
  pause();
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
  updateControls();
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
  timer_.setInterval(std::max(1, int(std::lround(1000.0 / std::max(1.0, loaded.fps)))));
  {
    const QSignalBlocker block(scrubber_);
    scrubber_->setRange(0, std::max(0, frameCount() - 1));
  }
  current_ = -1;
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
  showFrame(0);
  updateControls();
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

QString ComparePlayer::clipQualityText() const {
  return clipQuality_->text();
}

void ComparePlayer::play() {
  if (frameCount() < 2) return;
  if (current_ >= frameCount() - 1) showFrame(0);
  timer_.start();
  updateControls();
}

void ComparePlayer::pause() {
  timer_.stop();
  updateControls();
}

void ComparePlayer::togglePlay() {
  isPlaying() ? pause() : play();
}

void ComparePlayer::stepForward() {
  pause();
  if (frameCount() > 0)
    showFrame(loop_->isChecked() ? (current_ + 1) % frameCount() : current_ + 1);
}

void ComparePlayer::stepBack() {
  pause();
  if (frameCount() > 0)
    showFrame(loop_->isChecked() ? (current_ - 1 + frameCount()) % frameCount() : current_ - 1);
}

void ComparePlayer::showFrame(int frame) {
  if (frameCount() == 0) return;
  frame = std::clamp(frame, 0, frameCount() - 1);
  if (frame == current_) return;
  current_ = frame;
  // One place sets both views: they cannot drift apart.
  leftView_->setImage(left_[frame]);
  rightView_->setImage(right_[frame]);
  {
    const QSignalBlocker block(scrubber_);
    scrubber_->setValue(frame);
  }
  counter_->setText(QStringLiteral("%1 / %2").arg(frame + 1).arg(frameCount()));
  if (size_t(frame) < quality_.framePsnr.size())
    frameQuality_->setText(tr("Frame %1: PSNR %2 · SSIM %3")
                               .arg(frame + 1)
                               .arg(psnrText(quality_.framePsnr[size_t(frame)]))
                               .arg(quality_.frameSsim[size_t(frame)], 0, 'f', 4));
  emit frameShown(frame);
}

void ComparePlayer::advance() {
  if (current_ + 1 < frameCount())
    showFrame(current_ + 1);
  else if (loop_->isChecked())
    showFrame(0);
  else
    pause();
}

void ComparePlayer::updateControls() {
  const bool has = frameCount() > 0;
  const bool playing = isPlaying();
  playAction_->setText(playing ? tr("Pause") : tr("Play"));
  playAction_->setIcon(
      style()->standardIcon(playing ? QStyle::SP_MediaPause : QStyle::SP_MediaPlay));
  playAction_->setEnabled(frameCount() > 1);
  previousAction_->setEnabled(has);
  nextAction_->setEnabled(has);
  scrubber_->setEnabled(has);
  if (!has) counter_->setText(QStringLiteral("– / –"));
}

}  // namespace svgen::ui
