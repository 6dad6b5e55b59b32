// The transport row under a clip: previous / play-pause / next, a scrubber, a frame counter and a
// loop switch, with the timer that plays at the clip's frame rate. It knows frame numbers only;
// its owner shows the frame on frameChanged. The single player and the side-by-side compare
// player both use it, so they step, loop and scrub alike.
#pragma once
#include <QList>
#include <QTimer>
#include <QWidget>

class QAction;
class QCheckBox;
class QLabel;
class QSlider;

namespace svgen::ui {

class PlaybackTransport : public QWidget {
  Q_OBJECT
 public:
  explicit PlaybackTransport(QWidget* parent = nullptr);

  // A new clip: paused, at frame 0 (frameChanged(0) follows when there is a frame).
  void reset(int frames, double fps);

  int frameCount() const { return frames_; }
  int currentFrame() const { return current_; }
  bool isPlaying() const { return timer_.isActive(); }
  bool loops() const;
  void setLoop(bool loop);

  // Space, ← and →. The owner adds them to itself, with the shortcut context it needs.
  QAction* playAction() const { return playAction_; }
  QAction* previousAction() const { return previousAction_; }
  QAction* nextAction() const { return nextAction_; }
  QList<QAction*> transportActions() const { return {playAction_, previousAction_, nextAction_}; }
  QSlider* scrubber() const { return scrubber_; }

 public slots:
  void play();
  void pause();
  void togglePlay();
  void stepForward();
  void stepBack();
  void showFrame(int frame);

 signals:
  void frameChanged(int frame);

 private:
  void advance();
  void updateControls();

  QSlider* scrubber_;
  QLabel* counter_;
  QCheckBox* loop_;
  QAction* playAction_;
  QAction* previousAction_;
  QAction* nextAction_;
  QTimer timer_;
  int frames_ = 0;
  int current_ = 0;
};

}  // namespace svgen::ui
