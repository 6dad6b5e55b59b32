#include "ui/studio_controller.h"

#include "core/pipeline/engine.h"
#include "ui/engine_worker.h"

namespace svgen::ui {

StudioController::StudioController(QObject* parent)
    : QObject(parent), worker_(std::make_unique<EngineWorker>()) {
  registerRunTypes();
  thread_.setObjectName("svgen-engine");
  worker_->moveToThread(&thread_);

  connect(this, &StudioController::runRequested, worker_.get(), &EngineWorker::generate);

  // Clear the running flag before re-emitting, so that handlers of finished/failed/cancelled can
  // start the next run straight away.
  connect(worker_.get(), &EngineWorker::finished, this, [this](const RunOutcome& outcome) {
    setRunning(false);
    emit finished(outcome);
  });
  connect(worker_.get(), &EngineWorker::failed, this,
          [this](const QString& title, const QString& message, FailureKind kind) {
            setRunning(false);
            emit failed(title, message, kind);
          });
  connect(worker_.get(), &EngineWorker::cancelled, this, [this] {
    setRunning(false);
    emit cancelled();
  });
  connect(worker_.get(), &EngineWorker::stageChanged, this, &StudioController::stageChanged);
  connect(worker_.get(), &EngineWorker::progress, this, &StudioController::progress);
  connect(worker_.get(), &EngineWorker::layer, this, &StudioController::layer);
  connect(worker_.get(), &EngineWorker::phase, this, &StudioController::phase);
  connect(worker_.get(), &EngineWorker::preview, this, &StudioController::preview);

  thread_.start();
}

StudioController::~StudioController() {
  worker_->requestCancel();
  thread_.quit();
  thread_.wait();
  // The thread has stopped, so the worker (and its Engine) can go from here.
  worker_.reset();
}

bool StudioController::start(const GenerationRequest& request) {
  if (running_) return false;
  GenerationRequest r = request;
  // Requests come back from saved queues, history entries and clips' embedded settings, all of
  // which anyone can edit: a path to write there would let such a file overwrite any file of
  // the user's. The studio writes only into its own folders.
  r.saveLatentsPath.clear();
  r.recordAttentionPath =
      recordDir_.isValid()
          ? recordDir_.filePath(QString("attention-%1.json").arg(++runNumber_)).toStdString()
          : std::string();
  worker_->clearCancel();
  setRunning(true);
  emit runRequested(r);
  return true;
}

void StudioController::cancel() {
  if (running_) worker_->requestCancel();
}

ModelInfo StudioController::describeModel(const std::string& model) {
  if (!catalog_) catalog_ = std::make_unique<Engine>();
  return catalog_->describeModel(model);
}

std::vector<std::string> StudioController::devices() const {
  return Engine::devices();
}

void StudioController::setRunning(bool running) {
  if (running_ == running) return;
  running_ = running;
  emit runningChanged(running);
}

}  // namespace svgen::ui
