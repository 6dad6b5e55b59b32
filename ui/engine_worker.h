// The one bridge between the UI thread and the Engine. The worker lives on a QThread owned by
// StudioController; every signal is emitted on that thread and reaches UI objects queued.
#pragma once
#include "ui/run_types.h"

#include <QImage>
#include <QObject>
#include <QString>

#include <atomic>
#include <memory>

namespace svgen {
class Engine;
}

namespace svgen::ui {

class EngineWorker : public QObject {
  Q_OBJECT
 public:
  explicit EngineWorker(QObject* parent = nullptr);
  ~EngineWorker() override;

  // Thread-safe. The Engine polls the flag between transformer layers, so a run stops within one.
  void requestCancel() { cancel_.store(true); }
  // Thread-safe. Called by the owner before queuing a run, never by generate() itself: a cancel
  // that arrives between queuing and starting must not be forgotten.
  void clearCancel() { cancel_.store(false); }
  bool cancelRequested() const { return cancel_.load(); }

 public slots:
  void generate(const svgen::GenerationRequest& request);

 signals:
  void stageChanged(const QString& stage);
  void progress(int step, int total, double elapsedSeconds, double etaSeconds);
  // At most ten a second: where the running pass is.
  void layer(int layer, int layers);
  // The attention phase that just started ("k-means from scratch"), at most ten a second.
  void phase(const QString& phase);
  void preview(int step, const QImage& frame);
  void finished(const svgen::ui::RunOutcome& outcome);
  void failed(const QString& title, const QString& message, svgen::ui::FailureKind kind);
  void cancelled();

 private:
  class Observer;

  // Built on first use, on the worker thread, so that opening the window never waits for it.
  std::unique_ptr<Engine> engine_;
  std::atomic<bool> cancel_{false};
};

}  // namespace svgen::ui
