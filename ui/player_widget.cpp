#include "ui/player_widget.h"

#include "ui/frame_view.h"
#include "ui/video_images.h"

#include <QAction>
#include <QCheckBox>
#include <QFutureWatcher>
#include <QHBoxLayout>
#include <QLabel>
#include <QPointer>
#include <QSlider>
#include <QStyle>
#include <QToolButton>
#include <QVBoxLayout>
#include <QtConcurrent>

#include <algorithm>
#include <cmath>
#include <memory>

namespace svgen::ui {

PlayerWidget::PlayerWidget(QWidget* parent) : QWidget(parent) {
  view_ = new FrameView(this);
  view_->setObjectName("frameView");
  view_->setPlaceholder(tr("No clip yet.\nWrite a prompt and press Ctrl+Return to generate."));

  playAction_ = new QAction(style()->standardIcon(QStyle::SP_MediaPlay), tr("Play"), this);
  playAction_->setObjectName("playAction");
  playAction_->setShortcut(Qt::Key_Space);
  previousAction_ =
      new QAction(style()->standardIcon(QStyle::SP_MediaSeekBackward), tr("Previous frame"), this);
  previousAction_->setObjectName("previousFrameAction");
  previousAction_->setShortcut(Qt::Key_Left);
  nextAction_ =
      new QAction(style()->standardIcon(QStyle::SP_MediaSeekForward), tr("Next frame"), this);
  nextAction_->setObjectName("nextFrameAction");
  nextAction_->setShortcut(Qt::Key_Right);
  addActions({playAction_, previousAction_, nextAction_});

  auto button = [this](QAction* action) {
    auto* b = new QToolButton(this);
    b->setDefaultAction(action);
    b->setAutoRaise(true);
    b->setIconSize(QSize(22, 22));
    return b;
  };

  scrubber_ = new QSlider(Qt::Horizontal, this);
  scrubber_->setObjectName("scrubber");
  scrubber_->setFocusPolicy(Qt::NoFocus);
  counter_ = new QLabel(this);
  counter_->setObjectName("frameCounter");
  counter_->setMinimumWidth(counter_->fontMetrics().horizontalAdvance("000 / 000"));
  counter_->setAlignment(Qt::AlignRight | Qt::AlignVCenter);
  loop_ = new QCheckBox(tr("Loop"), this);
  loop_->setObjectName("loop");
  loop_->setChecked(true);
  loop_->setFocusPolicy(Qt::NoFocus);

  auto* controls = new QHBoxLayout;
  controls->setContentsMargins(6, 0, 6, 4);
  controls->addWidget(button(previousAction_));
  controls->addWidget(button(playAction_));
  controls->addWidget(button(nextAction_));
  controls->addWidget(scrubber_, 1);
  controls->addWidget(counter_);
  controls->addWidget(loop_);

  auto* column = new QVBoxLayout(this);
  column->setContentsMargins(0, 0, 0, 0);
  column->addWidget(view_, 1);
  column->addLayout(controls);

  timer_.setTimerType(Qt::PreciseTimer);
  connect(&timer_, &QTimer::timeout, this, &PlayerWidget::advance);
  connect(playAction_, &QAction::triggered, this, &PlayerWidget::togglePlay);
  connect(previousAction_, &QAction::triggered, this, &PlayerWidget::stepBack);
  connect(nextAction_, &QAction::triggered, this, &PlayerWidget::stepForward);
  connect(scrubber_, &QSlider::valueChanged, this, &PlayerWidget::showFrame);
  connect(scrubber_, &QSlider::sliderPressed, this, &PlayerWidget::pause);
  updateControls();
}

PlayerWidget::~PlayerWidget() = default;

void PlayerWidget::setClip(const QVector<QImage>& frames, double fps) {
  ++loadGeneration_;
  pause();
  frames_ = frames;
  fps_ = fps > 0 ? fps : 8;
  timer_.setInterval(std::max(1, static_cast<int>(std::lround(1000.0 / fps_))));
  current_ = -1;
  {
    QSignalBlocker block(scrubber_);
    scrubber_->setRange(0, std::max(0, int(frames_.size()) - 1));
    scrubber_->setValue(0);
  }
  showFrame(0);
  updateControls();
}

void PlayerWidget::setVideo(const Video& video) {
  const int generation = ++loadGeneration_;
  const double fps = video.fps;
  auto* watcher = new QFutureWatcher<QVector<QImage>>(this);
  connect(watcher, &QFutureWatcher<QVector<QImage>>::finished, this, [=] {
    watcher->deleteLater();
    if (generation != loadGeneration_) return;
    setClip(watcher->result(), fps);
    emit clipLoaded(frameCount());
  });
  auto shared = std::make_shared<Video>(video);
  watcher->setFuture(QtConcurrent::run([shared] { return clipImages(*shared); }));
}

void PlayerWidget::clear() {
  setClip({}, fps_);
}

const QImage& PlayerWidget::currentImage() const {
  return view_->image();
}

bool PlayerWidget::loops() const {
  return loop_->isChecked();
}

void PlayerWidget::setLoop(bool loop) {
  loop_->setChecked(loop);
}

void PlayerWidget::play() {
  if (frames_.size() < 2) return;
  if (current_ >= frameCount() - 1) showFrame(0);
  timer_.start();
  updateControls();
}

void PlayerWidget::pause() {
  timer_.stop();
  updateControls();
}

void PlayerWidget::togglePlay() {
  isPlaying() ? pause() : play();
}

void PlayerWidget::stepForward() {
  pause();
  if (frameCount() > 0) showFrame(loops() ? (current_ + 1) % frameCount() : current_ + 1);
}

void PlayerWidget::stepBack() {
  pause();
  if (frameCount() > 0)
    showFrame(loops() ? (current_ - 1 + frameCount()) % frameCount() : current_ - 1);
}

void PlayerWidget::showFrame(int frame) {
  if (frames_.isEmpty()) {
    current_ = 0;
    view_->setImage({});
    updateControls();
    return;
  }
  frame = std::clamp(frame, 0, frameCount() - 1);
  if (frame == current_) return;
  current_ = frame;
  view_->setImage(frames_[frame]);
  {
    QSignalBlocker block(scrubber_);
    scrubber_->setValue(frame);
  }
  counter_->setText(QStringLiteral("%1 / %2").arg(frame + 1).arg(frameCount()));
  emit frameShown(frame);
}

void PlayerWidget::advance() {
  if (current_ + 1 < frameCount()) {
    showFrame(current_ + 1);
  } else if (loops()) {
    showFrame(0);
  } else {
    pause();
  }
}

void PlayerWidget::updateControls() {
  const bool hasClip = !frames_.isEmpty();
  const bool playing = isPlaying();
  playAction_->setText(playing ? tr("Pause") : tr("Play"));
  playAction_->setIcon(
      style()->standardIcon(playing ? QStyle::SP_MediaPause : QStyle::SP_MediaPlay));
  playAction_->setEnabled(frames_.size() > 1);
  previousAction_->setEnabled(hasClip);
  nextAction_->setEnabled(hasClip);
  scrubber_->setEnabled(hasClip);
  if (!hasClip) counter_->setText(QStringLiteral("– / –"));
}

}  // namespace svgen::ui
