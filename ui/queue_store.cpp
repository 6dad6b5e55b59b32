#include "ui/queue_store.h"

#include "core/pipeline/request_json.h"
#include "ui/run_queue.h"
#include "ui/studio_settings.h"

#include <QSettings>
#include <QStringList>
#include <QtDebug>

namespace svgen::ui {

void saveQueue(QSettings& settings, const RunQueue& queue) {
  QStringList jobs;
  for (const QueuedJob& job : queue.jobs())
    jobs << QString::fromStdString(requestToJson(job.request));
  settings.setValue(keys::kQueue, jobs);
}

int restoreQueue(const QSettings& settings, RunQueue& queue) {
  int skipped = 0;
  const QStringList jobs = settings.value(keys::kQueue).toStringList();
  QVector<GenerationRequest> restored;
  restored.reserve(jobs.size());
  for (int i = 0; i < jobs.size(); ++i) {
    try {
      restored.push_back(requestFromJson(jobs[i].toStdString()));
    } catch (const std::exception& e) {
      ++skipped;
      qWarning("Skipping queued job %d of %lld, its settings do not parse: %s", i + 1,
               static_cast<long long>(jobs.size()), e.what());
    }
  }
  queue.addAll(restored);
  return skipped;
}

}  // namespace svgen::ui
