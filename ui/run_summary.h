// One-line descriptions of a run's settings, shared by the queue, the history and the compare
// player so the same run reads the same everywhere.
#pragma once
#include "core/pipeline/generation.h"

#include <QString>

namespace svgen::ui {

// "Dense", "SVG", "SVG2", "SVOO".
QString methodLabel(const AttentionConfig& attention);
// The knob that sets the method's budget: "density 25%", "top-p 0.90", "profile table"; empty
// for dense.
QString budgetLabel(const AttentionConfig& attention);
// "SVG2 top-p 0.90" or "Dense".
QString attentionLabel(const AttentionConfig& attention);
// The clip's shape: "16 × 128×128, 20 steps, seed 42"; fields left at the model's default (0)
// read "default".
QString clipLabel(const GenerationRequest& request);

// A failure message cut to a status-bar line (the dialog has the whole of it).
QString briefMessage(const QString& message);

}  // namespace svgen::ui
