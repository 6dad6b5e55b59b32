// The central clip player: the frame, play/pause at the clip's frame rate, a scrubber, a frame
// counter and a loop switch. Its actions carry the keys (Space, ←, →) so the window can also put
// them in a menu.
#pragma once
#include "core/io/video.h"

#include "ui/playback_transport.h"

#include <QImage>
#include <QVector>
#include <QWidget>

namespace svgen::ui {

class FrameView;

class PlayerWidget : public QWidget {
  Q_OBJECT
 public:
  explicit PlayerWidget(QWidget* parent = nullptr);
  ~PlayerWidget() override;

  // Frames already converted (the worker does it for runs); starts at frame 0, paused.
  void setClip(const QVector<QImage>& frames, double fps);
  // Converts on a pool thread, then shows it; clipLoaded() follows.
  void setVideo(const Video& video);
  void clear();

  int frameCount() const { return frames_.size(); }
  int currentFrame() const { return transport_->currentFrame(); }
  const QImage& currentImage() const;
  double fps() const { return fps_; }
  bool isPlaying() const { return transport_->isPlaying(); }
  bool loops() const { return transport_->loops(); }
  void setLoop(bool loop) { transport_->setLoop(loop); }

  QAction* playAction() const { return transport_->playAction(); }
  QAction* previousAction() const { return transport_->previousAction(); }
  QAction* nextAction() const { return transport_->nextAction(); }

 public slots:
  void play() { transport_->play(); }
  void pause() { transport_->pause(); }
  void togglePlay() { transport_->togglePlay(); }
  void stepForward() { transport_->stepForward(); }
  void stepBack() { transport_->stepBack(); }
  void showFrame(int frame) { transport_->showFrame(frame); }

 signals:
  void frameShown(int frame);
  void clipLoaded(int frames);

 private:
  FrameView* view_;
  PlaybackTransport* transport_;
  QVector<QImage> frames_;
  double fps_ = 8;
  int loadGeneration_ = 0;  // so a slow conversion never replaces a newer clip
};

}  // namespace svgen::ui
