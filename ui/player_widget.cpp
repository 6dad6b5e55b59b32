#include "ui/player_widget.h"

#include "ui/frame_view.h"
#include "ui/video_images.h"

#include <QFutureWatcher>
#include <QVBoxLayout>
#include <QtConcurrent>

#include <memory>

namespace svgen::ui {

PlayerWidget::PlayerWidget(QWidget* parent) : QWidget(parent) {
  view_ = new FrameView(this);
  view_->setObjectName("frameView");
  view_->setPlaceholder(tr("No clip yet.\nWrite a prompt and press Ctrl+Return to generate."));
  transport_ = new PlaybackTransport(this);
  // Window-wide shortcuts: the main window also lists these actions in its Playback menu.
  addActions(transport_->transportActions());

  auto* column = new QVBoxLayout(this);
  column->setContentsMargins(0, 0, 0, 0);
  column->addWidget(view_, 1);
  column->addWidget(transport_);
  transport_->setContentsMargins(6, 0, 6, 4);

  connect(transport_, &PlaybackTransport::frameChanged, this, [this](int frame) {
    view_->setImage(frames_[frame]);
    emit frameShown(frame);
  });
}

PlayerWidget::~PlayerWidget() = default;

void PlayerWidget::setClip(const QVector<QImage>& frames, double fps) {
  ++loadGeneration_;
  frames_ = frames;
  fps_ = fps > 0 ? fps : 8;
  if (frames_.isEmpty()) view_->setImage({});
  transport_->reset(frames_.size(), fps_);
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

}  // namespace svgen::ui
