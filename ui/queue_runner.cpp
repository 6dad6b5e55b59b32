#include "ui/queue_runner.h"

#include "ui/queue_store.h"
#include "ui/run_queue.h"
#include "ui/run_summary.h"
#include "ui/studio_controller.h"
#include "ui/studio_settings.h"

#include <QTimer>

namespace svgen::ui {

namespace {

constexpr int kMessageMs = 16000;

}  // namespace

QueueRunner::QueueRunner(RunQueue* queue, StudioController* controller, QObject* parent)
    : QObject(parent), queue_(queue), controller_(controller) {
  connect(queue_, &RunQueue::changed, this, [this] {
    if (!restoring_) saveQueue(*openStudioSettings(), *queue_);
  });
  connect(controller_, &StudioController::finished, this, &QueueRunner::onFinished);
  connect(controller_, &StudioController::failed, this, &QueueRunner::onFailed);
  connect(controller_, &StudioController::cancelled, this,
          [this] { pause(tr("Run cancelled — the queue is paused")); });
}

int QueueRunner::restore() {
  restoring_ = true;  // the saved queue is what is being read: no need to write it back per job
  const int skipped = restoreQueue(*openStudioSettings(), *queue_);
  restoring_ = false;
  if (skipped) saveQueue(*openStudioSettings(), *queue_);
  return skipped;
}

void QueueRunner::setRunning(bool run) {
  if (run && queue_->isEmpty()) run = false;
  queue_->setActive(run);
  if (run) {
    runNext();
  } else if (controller_->isRunning()) {
    emit message(tr("The queue pauses after the running job"), kMessageMs / 2);
  }
}

void QueueRunner::runNext() {
  if (!queue_->isActive() || controller_->isRunning()) return;
  if (queue_->isEmpty()) {
    queue_->setActive(false);
    emit message(tr("Queue finished"), kMessageMs);
    return;
  }
  const QueuedJob job = queue_->takeFirst();
  if (!controller_->start(job.request)) queue_->setActive(false);
}

void QueueRunner::pause(const QString& why) {
  if (!queue_->isActive()) return;
  queue_->setActive(false);
  emit message(why, kMessageMs);
}

void QueueRunner::onFinished() {
  // After every handler of this run's signals: they see the finished run, not the next one.
  if (queue_->isActive()) QTimer::singleShot(0, this, &QueueRunner::runNext);
}

void QueueRunner::onFailed(const QString&, const QString& message, FailureKind) {
  pause(tr("The run failed: %1 — the queue is paused").arg(briefMessage(message)));
}

}  // namespace svgen::ui
