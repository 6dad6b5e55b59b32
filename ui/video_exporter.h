// Writes a finished run to a file on a pool thread (QtConcurrent), with the run's settings as
// metadata so the file can restore them later. The UI thread only starts it and hears the end.
#pragma once
#include "core/pipeline/generation.h"

#include <QFutureWatcher>
#include <QObject>
#include <QString>

#include <atomic>
#include <memory>

namespace svgen::ui {

class VideoExporter : public QObject {
  Q_OBJECT
 public:
  explicit VideoExporter(QObject* parent = nullptr);
  // Stops a running export and waits for it, so no thread writes after the window has gone.
  ~VideoExporter() override;

  bool isBusy() const { return watcher_.isRunning(); }
  // The format follows the extension (.mp4, .y4m). Returns false while another export runs.
  bool start(std::shared_ptr<const GenerationResult> result, const QString& path);
  void cancel();

  static bool mp4Available();

 signals:
  void finished(bool ok, const QString& path, const QString& message);

 private:
  QFutureWatcher<QString> watcher_;  // the result is an error message, empty on success
  std::shared_ptr<std::atomic<bool>> cancel_;
  QString path_;
};

}  // namespace svgen::ui
