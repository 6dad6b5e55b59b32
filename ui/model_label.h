// How a model is named on screen. An untrained model must say so wherever it is named: its clips
// are noise, and nobody should take them for the method's quality.
#pragma once
#include "core/pipeline/generation.h"

#include <QString>

namespace svgen::ui {

QString modelLabel(const ModelInfo& info);

}  // namespace svgen::ui
