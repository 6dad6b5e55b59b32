// Values that cross from the worker thread to the UI thread in queued signals. Queued connections
// copy their arguments through QMetaType, so every type here is declared and registered once.
#pragma once
#include "core/pipeline/generation.h"

#include <QImage>
#include <QMetaType>
#include <QVector>

#include <memory>
#include <vector>

namespace svgen {
struct CallRecord;
}

namespace svgen::ui {

enum class FailureKind {
  Input,    // the user can fix it: a setting, a prompt word, a file
  Runtime,  // the machine could not finish: memory, disk, device
};

// A finished run. The result is shared, not copied: a clip of many frames moves between threads and
// panels (player, exporter, later the history) without duplicating its bytes.
struct RunOutcome {
  std::shared_ptr<const GenerationResult> result;
  QVector<QImage> frames;  // result->video as images, converted on the worker thread
  // The run's attention record (GenerationRequest::recordAttentionPath), parsed on the worker
  // thread; null when the run recorded none or the record could not be read.
  std::shared_ptr<const std::vector<CallRecord>> attention;
};

// Call once before the first queued connection; safe to call again.
void registerRunTypes();

}  // namespace svgen::ui

Q_DECLARE_METATYPE(svgen::GenerationRequest)
Q_DECLARE_METATYPE(svgen::ui::RunOutcome)
Q_DECLARE_METATYPE(svgen::ui::FailureKind)
