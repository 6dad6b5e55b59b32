// The Plots dock's "Time per step": seconds of each denoising step, one line per history run,
// coloured by method. Dense warm-up steps of a sparse run stand out against its sparse steps, and
// a sparse run's steps against a dense run's.
#pragma once
#include <QPalette>
#include <QString>
#include <QVector>

class QCustomPlot;

namespace svgen::ui {

struct HistoryEntry;

struct StepTimeLine {
  QString id;      // the history run
  QString label;   // legend: method, budget and the run's total time
  QString method;  // methodLabel(), which picks the colour
  QVector<double> seconds;
};

// The newest `limit` runs that recorded step times, oldest first (the newest is drawn on top).
// History entries are newest first.
QVector<StepTimeLine> stepTimeLines(const QVector<HistoryEntry>& entries, int limit);
// Redraws `plot` with one graph per line, in order: x the step (from 1), y its seconds.
void drawStepTimes(QCustomPlot* plot, const QVector<StepTimeLine>& lines, const QPalette& palette);

}  // namespace svgen::ui
