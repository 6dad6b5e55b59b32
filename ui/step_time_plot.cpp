#include "ui/step_time_plot.h"

#include "ui/history_store.h"
#include "ui/plot_style.h"
#include "ui/run_summary.h"

#include <QCoreApplication>
#include <QHash>
#include <qcustomplot.h>

namespace svgen::ui {

QVector<StepTimeLine> stepTimeLines(const QVector<HistoryEntry>& entries, int limit) {
  QVector<StepTimeLine> lines;
  for (const HistoryEntry& e : entries) {
    if (lines.size() >= limit) break;
    if (e.stepSeconds.isEmpty()) continue;
    StepTimeLine line;
    line.id = e.id;
    line.method = methodLabel(e.request.attention);
    line.label = QCoreApplication::translate("svgen::ui", "%1 (%2 s)")
                     .arg(attentionLabel(e.request.attention))
                     .arg(e.totalSeconds, 0, 'f', 1);
    line.seconds = e.stepSeconds;
    lines.prepend(line);
  }
  return lines;
}

void drawStepTimes(QCustomPlot* plot, const QVector<StepTimeLine>& lines, const QPalette& palette) {
  plot->clearPlottables();
  plot->xAxis->setLabel(QCoreApplication::translate("svgen::ui", "denoising step"));
  plot->yAxis->setLabel(QCoreApplication::translate("svgen::ui", "seconds per step"));
  styleLegend(plot, palette);
  plot->legend->setVisible(!lines.isEmpty());
  // Runs of one method share its colour; the marker and dash tell them apart (a budget sweep is
  // several runs of one method).
  static const QCPScatterStyle::ScatterShape shapes[] = {
      QCPScatterStyle::ssDisc, QCPScatterStyle::ssSquare, QCPScatterStyle::ssTriangle,
      QCPScatterStyle::ssDiamond, QCPScatterStyle::ssCross};
  static const Qt::PenStyle dashes[] = {Qt::SolidLine, Qt::DashLine, Qt::DotLine, Qt::DashDotLine};
  QHash<QString, int> runsOfMethod;
  int steps = 0;
  for (const StepTimeLine& line : lines) {
    QCPGraph* g = plot->addGraph();
    g->setName(line.label);
    const QColor colour = methodColour(line.method);
    const int n = runsOfMethod[line.method]++;
    g->setPen(QPen(colour, 1.5, dashes[n % int(std::size(dashes))]));
    g->setScatterStyle(QCPScatterStyle(shapes[n % int(std::size(shapes))], colour, 6));
    for (int i = 0; i < line.seconds.size(); ++i) g->addData(i + 1, line.seconds[i]);
    steps = std::max(steps, int(line.seconds.size()));
  }
  plot->rescaleAxes();
  // Seconds from zero, so a step twice as slow looks twice as high.
  plot->yAxis->setRangeLower(0);
  plot->yAxis->setRangeUpper(plot->yAxis->range().upper * 1.15);
  plot->xAxis->setRange(0.5, std::max(steps, 1) + 0.5);
  useWholeTicks(plot->xAxis);
  plot->replot();
}

}  // namespace svgen::ui
