// The "Plots" dock (QCustomPlot): the last run's density over layers × steps as a heat map, the
// history's quality against speed, each run against its own dense twin, with its Pareto front (the
// runs no other run beats on both PSNR and speed-up), and the history's seconds per denoising step.
// Each plot exports to PNG or SVG.
#pragma once
#include "ui/step_time_plot.h"

#include <QString>
#include <QWidget>

#include <memory>
#include <vector>

class QCustomPlot;
class QTabWidget;

namespace svgen {
struct CallRecord;
}

namespace svgen::ui {

class HistoryStore;

class PlotsPanel : public QWidget {
  Q_OBJECT
 public:
  explicit PlotsPanel(HistoryStore* history, QWidget* parent = nullptr);

  enum Plot { Density = 0, Pareto = 1, StepTimes = 2 };
  // The run whose density to show (null: none).
  void setRecord(std::shared_ptr<const std::vector<CallRecord>> calls);

  QCustomPlot* plot(Plot which) const;
  // Mean density over the conditional batch's heads of each (layer, step) call; -1 where the
  // record has no call. Indexed [layer][step index], steps in record order.
  const std::vector<std::vector<double>>& densityGrid() const { return density_; }
  // The history points on the Pareto plot, and which of them are on the front.
  // Each sparse run with a measured dense twin: how many times faster it ran than that twin and
  // its PSNR against it.
  struct Point {
    double speedup = 0, psnr = 0;
  };
  const std::vector<Point>& paretoPoints() const { return points_; }
  // What the plot says of runs it cannot place (no dense twin yet); empty when every run shows.
  const QString& paretoNote() const { return paretoNote_; }
  // Indices of the points no other point beats on both (more speed-up, more PSNR), slowest first.
  static std::vector<int> paretoFront(const std::vector<Point>& points);

  // The runs on the step time plot, one graph each in this order.
  const QVector<StepTimeLine>& stepTimes() const { return stepTimes_; }

  // Writes the plot as PNG or SVG (by the path's suffix); false when it cannot.
  bool exportPlot(Plot which, const QString& path) const;

 public slots:
  void exportWithDialog();

 private:
  void showDensity();
  void showPareto();
  void showStepTimes();

  HistoryStore* history_;
  QTabWidget* tabs_;
  QCustomPlot* densityPlot_;
  QCustomPlot* paretoPlot_;
  QCustomPlot* stepTimePlot_;
  std::shared_ptr<const std::vector<CallRecord>> record_;
  std::vector<std::vector<double>> density_;
  std::vector<Point> points_;
  QString paretoNote_;
  QVector<StepTimeLine> stepTimes_;
};

}  // namespace svgen::ui
