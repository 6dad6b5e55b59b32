// The "Run" dock: what the running job is doing, how far it is and how long it has left, the
// latest step preview, and the buttons that start and stop it.
#pragma once
#include "core/pipeline/generation.h"

#include <QElapsedTimer>
#include <QImage>
#include <QTimer>
#include <QWidget>

#include <vector>

class QLabel;
class QProgressBar;
class QPushButton;
class QVBoxLayout;

namespace svgen::ui {

class FrameView;

class RunPanel : public QWidget {
  Q_OBJECT
 public:
  explicit RunPanel(QWidget* parent = nullptr);

  QString stageText() const;
  QString progressText() const;
  QImage previewImage() const;

 public slots:
  void setRunning(bool running);
  void showStage(const QString& stage);
  void showProgress(int step, int total, double elapsedSeconds, double etaSeconds);
  void showPreview(int step, const QImage& frame);
  // Where the running pass is, shown beside the step: "layer 5/30".
  void showLayer(int layer, int layers);
  // The attention phase running, beside the layer: "layer 3/8, k-means from scratch".
  void showPhase(const QString& phase);
  // The line above the bar once a run ends: "Done in 00:14", "Cancelled", "Failed".
  void showOutcome(const QString& text, bool complete);
  // Seconds per stage of the last run, and the share spent in self-attention.
  void showTimings(const std::vector<StageTiming>& timings, double attentionSeconds);
  // What the last run's attention computed: the share of dense scores over the whole run and over
  // the calls that ran sparse, and the seconds it took; `recorded`: where its record is shown.
  void showAttention(const QString& method, double density, double sparseDensity,
                     double attentionSeconds, bool recorded = false);
  QString attentionText() const;
  QString timingsText() const;
  // Non-empty: Generate is refused (the chosen model cannot run) and the reason shows under it.
  void setBlockedReason(const QString& reason);
  QString blockedReason() const { return blockedReason_; }
  // Puts the queue section (QueuePanel) at the bottom of the dock.
  void setQueuePanel(QWidget* queue);

 signals:
  void generateClicked();
  void cancelClicked();

 private:
  QLabel* stage_;
  QProgressBar* bar_;
  QLabel* detail_;
  FrameView* preview_;
  QLabel* timings_;
  QLabel* attention_;
  QPushButton* generate_;
  QPushButton* cancel_;
  QLabel* blocked_;
  QString blockedReason_;
  bool running_ = false;
  QVBoxLayout* column_;
  // The elapsed time ticks every half second, so a long step (SVG2's k-means on a big clip) does
  // not look like a hang; the step counts come from showProgress.
  QElapsedTimer clock_;
  QTimer tick_;
  int step_ = 0, total_ = 0;
  int layer_ = -1, layers_ = 0;
  QString phase_;
  double eta_ = -1;
  qint64 reportedAtMs_ = 0;
  void updateDetail();
};

}  // namespace svgen::ui
