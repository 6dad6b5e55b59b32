// The colours of the attention views: one per decision a method makes for a head, and the heat
// ramp of attention maps (explorer, token overlay, density plot).
#pragma once
#include <QColor>
#include <QString>

namespace svgen::ui {

// "spatial", "temporal", "dense", "cluster"; grey for anything else.
QColor decisionColor(const QString& decision);
// The heat map's colour for t in [0, 1].
QColor heatColor(double t);

}  // namespace svgen::ui
