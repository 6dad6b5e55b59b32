// The jobs lined up in the Run dock: settings captured when each was added, run one after another
// through the studio's one worker (a budget sweep: dense, then SVG2 at three top-p values). The
// queue only holds and orders; MainWindow takes the next job whenever the worker is free.
#pragma once
#include "core/pipeline/generation.h"

#include <QObject>
#include <QVector>

namespace svgen::ui {

struct QueuedJob {
  int id = 0;  // stable through reordering, so views can follow a job
  GenerationRequest request;
};

class RunQueue : public QObject {
  Q_OBJECT
 public:
  explicit RunQueue(QObject* parent = nullptr);

  int size() const { return jobs_.size(); }
  bool isEmpty() const { return jobs_.isEmpty(); }
  const QVector<QueuedJob>& jobs() const { return jobs_; }
  int indexOf(int id) const;

  int add(const GenerationRequest& request);
  // Appends many with one changed(): restoring a long saved queue must not rebuild the list and
  // rewrite the saved queue once per job.
  void addAll(const QVector<GenerationRequest>& requests);
  bool remove(int index);
  // Moves the job at `from` so that it ends at `to`; false when either is out of range.
  bool move(int from, int to);
  // Puts the jobs in the order of these ids (a drag in the view); ids not in the queue are
  // ignored and jobs left out keep their relative order at the end.
  void reorder(const QVector<int>& ids);
  QueuedJob takeFirst();
  void clear();

  // Running: the window starts the next job each time the worker becomes free.
  bool isActive() const { return active_; }
  void setActive(bool active);

 signals:
  void changed();
  void activeChanged(bool active);

 private:
  QVector<QueuedJob> jobs_;
  int nextId_ = 1;
  bool active_ = false;
};

}  // namespace svgen::ui
