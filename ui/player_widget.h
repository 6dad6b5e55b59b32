// The central clip player: the frame, play/pause at the clip's frame rate, a scrubber, a frame
// counter and a loop switch. Its actions carry the keys (Space, ←, →) so the window can also put
// them in a menu.
#pragma once
#include "core/io/video.h"

#include <QImage>
#include <QTimer>
#include <QVector>
#include <QWidget>

class QAction;
class QCheckBox;
class QLabel;
class QSlider;

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
  int currentFrame() const { return current_; }
  const QImage& currentImage() const;
  double fps() const { return fps_; }
  bool isPlaying() const { return timer_.isActive(); }
  bool loops() const;
  void setLoop(bool loop);

  QAction* playAction() const { return playAction_; }
  QAction* previousAction() const { return previousAction_; }
  QAction* nextAction() const { return nextAction_; }

 public slots:
  void play();
  void pause();
  void togglePlay();
  void stepForward();
  void stepBack();
  void showFrame(int frame);

 signals:
  void frameShown(int frame);
  void clipLoaded(int frames);

 private:
  void advance();
  void updateControls();

  FrameView* view_;
  QSlider* scrubber_;
  QLabel* counter_;
  QCheckBox* loop_;
  QAction* playAction_;
  QAction* previousAction_;
  QAction* nextAction_;
  QTimer timer_;
  QVector<QImage> frames_;
  double fps_ = 8;
  int current_ = 0;
  int loadGeneration_ = 0;  // so a slow conversion never replaces a newer clip
};

}  // namespace svgen::ui
