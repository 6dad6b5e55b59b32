// Two runs side by side, played, scrubbed and stepped together, with their PSNR/SSIM difference
// for the frame shown and for the whole clip (core/eval/video_quality). The left run is the
// reference. Clips are read, converted and measured on a pool thread; ready() says when.
#pragma once
#include "core/eval/video_quality.h"
#include "core/io/video.h"

#include <QImage>
#include <QTimer>
#include <QVector>
#include <QWidget>

#include <functional>
#include <utility>

class QAction;
class QCheckBox;
class QLabel;
class QSlider;

namespace svgen::ui {

class FrameView;

class ComparePlayer : public QWidget {
  Q_OBJECT
 public:
  explicit ComparePlayer(QWidget* parent = nullptr);
  ~ComparePlayer() override;

  // Measures and shows two clips already in memory.
  void setClips(const Video& reference, const QString& referenceLabel, const Video& other,
                const QString& otherLabel);
  // `load` runs on a pool thread and returns (reference, other): reading files stays off the UI.
  void load(std::function<std::pair<Video, Video>()> load, const QString& referenceLabel,
            const QString& otherLabel);

  bool isReady() const { return ready_; }
  QString errorText() const { return error_; }
  int frameCount() const { return left_.size(); }
  int currentFrame() const { return current_; }
  bool isPlaying() const { return timer_.isActive(); }
  const QImage& leftImage() const;
  const QImage& rightImage() const;
  const VideoQuality& quality() const { return quality_; }
  QString frameQualityText() const;
  QString clipQualityText() const;

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
  void ready();
  void frameShown(int frame);

 private:
  struct Loaded;
  void present(const Loaded& loaded);
  void advance();
  void updateControls();

  FrameView* leftView_;
  FrameView* rightView_;
  QLabel* leftTitle_;
  QLabel* rightTitle_;
  QLabel* frameQuality_;
  QLabel* clipQuality_;
  QSlider* scrubber_;
  QLabel* counter_;
  QCheckBox* loop_;
  QAction* playAction_;
  QAction* previousAction_;
  QAction* nextAction_;
  QTimer timer_;
  QVector<QImage> left_, right_;
  VideoQuality quality_;
  QString error_;
  bool ready_ = false;
  int current_ = 0;
  int generation_ = 0;  // a slow load never replaces a newer one
};

}  // namespace svgen::ui
