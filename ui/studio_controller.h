// Owns the worker thread and the one EngineWorker on it, starts and cancels runs, and re-emits the
// worker's signals on the UI thread so panels connect to one object that outlives every run.
#pragma once
#include "core/pipeline/generation.h"
#include "ui/run_types.h"

#include <QObject>
#include <QTemporaryDir>
#include <QThread>

#include <memory>
#include <string>
#include <vector>

namespace svgen {
class Engine;
}

namespace svgen::ui {

class EngineWorker;

class StudioController : public QObject {
  Q_OBJECT
 public:
  explicit StudioController(QObject* parent = nullptr);
  // Cancels a running job and waits for the thread: nothing outlives the window.
  ~StudioController() override;

  bool isRunning() const { return running_; }

  // Queues a run on the worker thread. Returns false (and does nothing) while another runs. Every
  // run records its attention into a file of the controller's temporary folder (a request's own
  // record or latents path is dropped: requests come from editable files); the finished outcome
  // carries the parsed record.
  bool start(const GenerationRequest& request);
  // Asks the running job to stop; cancelled() follows once it has. Safe to call when idle.
  void cancel();

  // Model facts for the settings panel. Answered by a second Engine on the UI thread: it never
  // loads weights, so it never waits behind a running generation.
  ModelInfo describeModel(const std::string& model);
  std::vector<std::string> devices() const;

 signals:
  void runningChanged(bool running);
  void stageChanged(const QString& stage);
  void progress(int step, int total, double elapsedSeconds, double etaSeconds);
  void layer(int layer, int layers);
  void phase(const QString& phase);
  void preview(int step, const QImage& frame);
  void finished(const svgen::ui::RunOutcome& outcome);
  void failed(const QString& title, const QString& message, svgen::ui::FailureKind kind);
  void cancelled();

  // To the worker, across threads; not for panels.
  void runRequested(const svgen::GenerationRequest& request);

 private:
  void setRunning(bool running);

  QThread thread_;
  std::unique_ptr<EngineWorker> worker_;
  std::unique_ptr<Engine> catalog_;
  QTemporaryDir recordDir_;
  int runNumber_ = 0;
  bool running_ = false;
};

}  // namespace svgen::ui
