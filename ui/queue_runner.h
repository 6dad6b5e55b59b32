// Runs the queue's jobs one after another through the StudioController: the next job starts once a
// run has finished (after every other handler of that run's signals), a failed or cancelled run
// pauses the queue. Keeps the queue saved in the studio settings on every change, so a crash keeps
// the jobs still waiting. The window only adds jobs, toggles running and shows the messages.
#pragma once
#include "ui/run_types.h"

#include <QObject>
#include <QString>

namespace svgen::ui {

class RunQueue;
class StudioController;

class QueueRunner : public QObject {
  Q_OBJECT
 public:
  QueueRunner(RunQueue* queue, StudioController* controller, QObject* parent = nullptr);

  // Puts back the queue of the last session; returns how many of its jobs could not be read (they
  // are dropped and the saved queue rewritten without them).
  int restore();
  // Starts the jobs one after another, or pauses the queue once the running job ends.
  void setRunning(bool run);

 signals:
  // A line for the status bar, shown for `milliseconds`.
  void message(const QString& text, int milliseconds);

 private:
  void runNext();
  void pause(const QString& why);
  void onFinished();
  void onFailed(const QString& title, const QString& message, FailureKind kind);

  RunQueue* queue_;
  StudioController* controller_;
  bool restoring_ = false;
};

}  // namespace svgen::ui
