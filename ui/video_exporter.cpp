#include "ui/video_exporter.h"

#include "core/common/error.h"
#include "core/io/video_export.h"
#include "core/pipeline/request_json.h"

#include <QtConcurrent>

namespace svgen::ui {

namespace {

QString exportOnPoolThread(std::shared_ptr<const GenerationResult> result, std::string path,
                           std::shared_ptr<std::atomic<bool>> cancel) {
  try {
    ExportOptions options;
    options.fps = result->video.fps;
    options.metadataJson = resultMetadataJson(*result);
    exportVideo(result->video, path, options, [cancel] { return cancel->load(); });
    return {};
  } catch (const Cancelled&) {
    return VideoExporter::tr("Export cancelled.");
  } catch (const std::exception& e) {
    return QString::fromStdString(e.what());
  }
}

}  // namespace

VideoExporter::VideoExporter(QObject* parent) : QObject(parent) {
  connect(&watcher_, &QFutureWatcher<QString>::finished, this, [this] {
    const QString error = watcher_.result();
    emit finished(error.isEmpty(), path_, error);
  });
}

VideoExporter::~VideoExporter() {
  cancel();
  watcher_.waitForFinished();
}

bool VideoExporter::start(std::shared_ptr<const GenerationResult> result, const QString& path) {
  if (isBusy() || !result) return false;
  path_ = path;
  cancel_ = std::make_shared<std::atomic<bool>>(false);
  watcher_.setFuture(
      QtConcurrent::run(exportOnPoolThread, std::move(result), path.toStdString(), cancel_));
  return true;
}

void VideoExporter::cancel() {
  if (cancel_) cancel_->store(true);
}

bool VideoExporter::mp4Available() {
  return mp4ExportAvailable();
}

}  // namespace svgen::ui
