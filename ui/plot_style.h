// Looks shared by the Plots dock's plots: axes in the palette's colours, and one colour per
// attention method so a method reads the same on every plot.
#pragma once
#include <QColor>
#include <QPalette>
#include <QString>

class QCPAxis;
class QCustomPlot;

namespace svgen::ui {

void stylePlot(QCustomPlot* plot, const QPalette& palette);
// A legend in the palette's colours, shown.
void styleLegend(QCustomPlot* plot, const QPalette& palette);
// Ticks on whole numbers only (steps, layers), however far the axis is zoomed.
void useWholeTicks(QCPAxis* axis);
// By methodLabel(): "Dense", "SVG", "SVG2", "SVOO"; another label gets a colour of its own.
QColor methodColour(const QString& method);

}  // namespace svgen::ui
