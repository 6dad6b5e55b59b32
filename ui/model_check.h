// What the Model row says about a model before anything heavy loads. A checkpoint folder is read
// as `svgen inspect` reads it (config files and safetensors headers, through the Engine) and then
// described by the engine, so a folder it could not run is refused here, naming the file and why,
// rather than after minutes of loading.
#pragma once
#include "core/pipeline/generation.h"

#include <QString>

#include <functional>
#include <string>

namespace svgen::ui {

struct ModelCheck {
  QString summary;  // one line: the layout, the model, its size and dtypes
  QString details;  // every component, for a tooltip
  QString refusal;  // empty when the model can run; otherwise which file or part, and why
  ModelInfo info;   // the engine's description, when it can run
  // False when the folder holds no model at all (rather than a model missing a part).
  bool recognised = true;

  bool runnable() const { return refusal.isEmpty(); }
};

// The engine's describeModel (the studio's answers it on the UI thread without loading weights).
using ModelDescriber = std::function<ModelInfo(const std::string&)>;

// `model`: "builtin" or a checkpoint folder.
ModelCheck checkModel(const QString& model, const ModelDescriber& describe);

}  // namespace svgen::ui
