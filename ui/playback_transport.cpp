#include "ui/playback_transport.h"

#include <QAction>
#include <QCheckBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QSignalBlocker>
#include <QSlider>
#include <QStyle>
#include <QToolButton>

#include <algorithm>
#include <cmath>

namespace svgen::ui {

PlaybackTransport::PlaybackTransport(QWidget* parent) : QWidget(parent) {
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

  auto* row = new QHBoxLayout(this);
  row->setContentsMargins(0, 0, 0, 0);
  row->addWidget(button(previousAction_));
  row->addWidget(button(playAction_));
  row->addWidget(button(nextAction_));
  row->addWidget(scrubber_, 1);
  row->addWidget(counter_);
  row->addWidget(loop_);

  timer_.setTimerType(Qt::PreciseTimer);
  connect(&timer_, &QTimer::timeout, this, &PlaybackTransport::advance);
  connect(playAction_, &QAction::triggered, this, &PlaybackTransport::togglePlay);
  connect(previousAction_, &QAction::triggered, this, &PlaybackTransport::stepBack);
  connect(nextAction_, &QAction::triggered, this, &PlaybackTransport::stepForward);
  connect(scrubber_, &QSlider::valueChanged, this, &PlaybackTransport::showFrame);
  connect(scrubber_, &QSlider::sliderPressed, this, &PlaybackTransport::pause);
  updateControls();
}

void PlaybackTransport::reset(int frames, double fps) {
  timer_.stop();
  frames_ = std::max(0, frames);
  timer_.setInterval(std::max(1, static_cast<int>(std::lround(1000.0 / (fps > 0 ? fps : 8)))));
  current_ = -1;
  {
    const QSignalBlocker block(scrubber_);
    scrubber_->setRange(0, std::max(0, frames_ - 1));
    scrubber_->setValue(0);
  }
  if (frames_ == 0) current_ = 0;
  showFrame(0);
  updateControls();
}

bool PlaybackTransport::loops() const {
  return loop_->isChecked();
}

void PlaybackTransport::setLoop(bool loop) {
  loop_->setChecked(loop);
}

void PlaybackTransport::play() {
  if (frames_ < 2) return;
  if (current_ >= frames_ - 1) showFrame(0);
  timer_.start();
  updateControls();
}

void PlaybackTransport::pause() {
  timer_.stop();
  updateControls();
}

void PlaybackTransport::togglePlay() {
  isPlaying() ? pause() : play();
}

void PlaybackTransport::stepForward() {
  pause();
  if (frames_ > 0) showFrame(loops() ? (current_ + 1) % frames_ : current_ + 1);
}

void PlaybackTransport::stepBack() {
  pause();
  if (frames_ > 0) showFrame(loops() ? (current_ - 1 + frames_) % frames_ : current_ - 1);
}

void PlaybackTransport::showFrame(int frame) {
  if (frames_ == 0) return;
  frame = std::clamp(frame, 0, frames_ - 1);
  if (frame == current_) return;
  current_ = frame;
  {
    const QSignalBlocker block(scrubber_);
    scrubber_->setValue(frame);
  }
  counter_->setText(QStringLiteral("%1 / %2").arg(frame + 1).arg(frames_));
  emit frameChanged(frame);
}

void PlaybackTransport::advance() {
  if (current_ + 1 < frames_) {
    showFrame(current_ + 1);
  } else if (loops()) {
    showFrame(0);
  } else {
    pause();
  }
}

void PlaybackTransport::updateControls() {
  const bool hasClip = frames_ > 0;
  const bool playing = isPlaying();
  playAction_->setText(playing ? tr("Pause") : tr("Play"));
  playAction_->setIcon(
      style()->standardIcon(playing ? QStyle::SP_MediaPause : QStyle::SP_MediaPlay));
  playAction_->setEnabled(frames_ > 1);
  previousAction_->setEnabled(hasClip);
  nextAction_->setEnabled(hasClip);
  scrubber_->setEnabled(hasClip);
  if (!hasClip) counter_->setText(QStringLiteral("– / –"));
}

}  // namespace svgen::ui
