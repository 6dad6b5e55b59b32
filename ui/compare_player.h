// Two runs side by side, played, scrubbed and stepped together, with their PSNR/SSIM difference
// for the frame shown and for the whole clip (core/pipeline/video_quality). The left run is the
// reference. Clips are read, converted and measured on a pool thread; ready() says when.
#pragma once
#include "core/io/video.h"
#include "core/pipeline/video_quality.h"

#include "ui/playback_transport.h"

#include <QImage>
#include <QVector>
#include <QWidget>

#include <functional>
#include <utility>

class QLabel;

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
  int currentFrame() const { return transport_->currentFrame(); }
  bool isPlaying() const { return transport_->isPlaying(); }
  const QImage& leftImage() const;
  const QImage& rightImage() const;
  const VideoQuality& quality() const { return quality_; }
  QString frameQualityText() const;
  QString clipQualityText() const;
  // A line above the clips when the two runs are not like for like (empty hides it).
  void setWarning(const QString& text);
  QString warningText() const;

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
  void ready();
  void frameShown(int frame);

 private:
  struct Loaded;
  void present(const Loaded& loaded);
  void presentFrame(int frame);

  FrameView* leftView_;
  FrameView* rightView_;
  QLabel* leftTitle_;
  QLabel* rightTitle_;
  QLabel* frameQuality_;
  QLabel* clipQuality_;
  QLabel* warning_;
  PlaybackTransport* transport_;
  QVector<QImage> left_, right_;
  VideoQuality quality_;
  QString error_;
  bool ready_ = false;
  int generation_ = 0;  // a slow load never replaces a newer one
};

}  // namespace svgen::ui
