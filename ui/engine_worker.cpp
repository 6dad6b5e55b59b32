#include "ui/engine_worker.h"

#include "core/attention/attention_record.h"
#include "core/common/error.h"
#include "core/pipeline/engine.h"
#include "ui/video_images.h"

#include <QElapsedTimer>
#include <QFile>

#include <cstring>
#include <new>

namespace svgen::ui {

class EngineWorker::Observer : public GenerationObserver {
 public:
  explicit Observer(EngineWorker& worker) : worker_(worker) {}

  void onStage(const std::string& stage) override {
    emit worker_.stageChanged(QString::fromStdString(stage));
  }
  void onProgress(const Progress& p) override {
    emit worker_.progress(p.step, p.totalSteps, p.elapsedSeconds, p.etaSeconds);
  }
  void onPreview(int step, const Video& preview) override {
    emit worker_.preview(step, representativeFrame(preview));
  }
  void onLayer(int layer, int layers) override {
    // A small model runs thousands of layers a second: the panel needs a few of them.
    if (layer != 0 && clock_.isValid() && clock_.elapsed() < 100) return;
    clock_.start();
    emit worker_.layer(layer, layers);
    flushPhase();  // a phase held back by the throttle is what the last layer ended in
  }
  void onPhase(const char* phase) override {
    // Thousands a second on a small model; k-means from scratch is the slow one, always shown.
    // One held back is shown with the next layer, so the line never keeps a finished phase.
    pending_ = phase;
    const bool slow = std::strcmp(phase, "k-means from scratch") == 0;
    if (slow || !phaseClock_.isValid() || phaseClock_.elapsed() >= 100) flushPhase();
  }
  bool isCancelled() override { return worker_.cancelRequested(); }

 private:
  void flushPhase() {
    if (!pending_) return;
    if (!last_ || std::strcmp(last_, pending_) != 0) {
      phaseClock_.start();
      emit worker_.phase(QString::fromUtf8(pending_));
    }
    last_ = pending_;
    pending_ = nullptr;
  }

  EngineWorker& worker_;
  QElapsedTimer clock_, phaseClock_;
  const char* last_ = nullptr;  // the phases are string literals: the pointers stay valid
  const char* pending_ = nullptr;
};

namespace {

std::shared_ptr<const std::vector<CallRecord>> readRecord(const QString& path) {
  QFile file(path);
  if (!file.open(QIODevice::ReadOnly)) return nullptr;
  const QByteArray json = file.readAll();
  file.close();
  file.remove();
  try {
    return std::make_shared<const std::vector<CallRecord>>(
        parseAttentionRecord(json.toStdString()));
  } catch (const std::exception&) {
    return nullptr;  // the clip is fine; only the explorer has nothing to show
  }
}

}  // namespace

EngineWorker::EngineWorker(QObject* parent) : QObject(parent) {
  registerRunTypes();
}

EngineWorker::~EngineWorker() = default;

void EngineWorker::generate(const GenerationRequest& request) {
  if (cancelRequested()) {
    emit cancelled();
    return;
  }
  try {
    if (!engine_) engine_ = std::make_unique<Engine>();
    Observer observer(*this);
    GenerationResult generated = engine_->generate(request, observer);
    RunOutcome outcome;
    if (!request.recordAttentionPath.empty()) {
      // The record is the studio's own temporary file: read it here, off the UI thread, and keep
      // its path out of the result (an exported clip's settings must not name it).
      outcome.attention = readRecord(QString::fromStdString(request.recordAttentionPath));
      generated.request.recordAttentionPath.clear();
    }
    auto result = std::make_shared<GenerationResult>(std::move(generated));
    outcome.frames = clipImages(result->video);
    outcome.result = std::move(result);
    emit finished(outcome);
  } catch (const Cancelled&) {
    emit cancelled();
  } catch (const InputError& e) {
    emit failed(tr("The settings need a change"), QString::fromStdString(e.what()),
                FailureKind::Input);
  } catch (const RuntimeFailure& e) {
    emit failed(tr("The run could not finish"), QString::fromStdString(e.what()),
                FailureKind::Runtime);
  } catch (const std::bad_alloc&) {
    emit failed(tr("The run could not finish"), tr("out of memory"), FailureKind::Runtime);
  } catch (const std::exception& e) {
    emit failed(tr("The run could not finish"), QString::fromStdString(e.what()),
                FailureKind::Runtime);
  } catch (...) {
    emit failed(tr("The run could not finish"), tr("an unknown error stopped the run"),
                FailureKind::Runtime);
  }
}

}  // namespace svgen::ui
