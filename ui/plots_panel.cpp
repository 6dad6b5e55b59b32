#include "ui/attention_colors.h"
#include "ui/plots_panel.h"

#include "core/attention/attention_record.h"
#include "ui/attention_explorer.h"
#include "ui/history_store.h"
#include "ui/plot_style.h"
#include "ui/run_summary.h"
#include "ui/step_time_plot.h"

#include <QFileDialog>
#include <QFileInfo>
#include <QHBoxLayout>
#include <QPushButton>
#include <QSvgGenerator>
#include <QTabWidget>
#include <QVBoxLayout>
#include <qcustomplot.h>

#include <algorithm>
#include <map>

namespace svgen::ui {

namespace {

constexpr int kExportWidth = 900, kExportHeight = 600;
const char* const kExportNames[] = {"density.png", "pareto.png", "step-times.png"};
// More lines than this make the step plot unreadable; older runs stay in the History dock.
constexpr int kStepTimeRuns = 8;

QCPColorGradient heatGradient() {
  QCPColorGradient g;
  g.clearColorStops();
  for (int i = 0; i <= 4; ++i) g.setColorStopAt(i / 4.0, heatColor(i / 4.0));
  return g;
}

}  // namespace

PlotsPanel::PlotsPanel(HistoryStore* history, QWidget* parent)
    : QWidget(parent), history_(history) {
  tabs_ = new QTabWidget(this);
  // Whole tab names ("Ti…" said nothing); a narrow dock scrolls the tabs instead.
  tabs_->setElideMode(Qt::ElideNone);
  tabs_->setUsesScrollButtons(true);
  densityPlot_ = new QCustomPlot(this);
  densityPlot_->setObjectName("densityPlot");
  paretoPlot_ = new QCustomPlot(this);
  paretoPlot_->setObjectName("paretoPlot");
  stepTimePlot_ = new QCustomPlot(this);
  stepTimePlot_->setObjectName("stepTimePlot");
  for (QCustomPlot* p : {densityPlot_, paretoPlot_, stepTimePlot_}) {
    p->setMinimumSize(240, 200);
    stylePlot(p, palette());
  }
  // The Pareto legend sits under the plot in a row of its own: inside, it covered points' labels.
  auto* legendRow = new QCPLayoutGrid;
  paretoPlot_->plotLayout()->addElement(1, 0, legendRow);
  paretoPlot_->axisRect()->insetLayout()->take(paretoPlot_->legend);
  legendRow->addElement(0, 0, paretoPlot_->legend);
  paretoPlot_->legend->setFillOrder(QCPLayoutGrid::foColumnsFirst);
  paretoPlot_->plotLayout()->setRowStretchFactor(1, 0.001);
  tabs_->addTab(densityPlot_, tr("Density"));
  tabs_->addTab(paretoPlot_, tr("Quality vs speed"));
  tabs_->addTab(stepTimePlot_, tr("Time per step"));
  auto* exportButton = new QPushButton(tr("Export…"), this);
  exportButton->setObjectName("plotExportButton");
  exportButton->setToolTip(tr("Save the plot shown as PNG or SVG"));
  auto* buttons = new QHBoxLayout;
  buttons->addStretch(1);
  buttons->addWidget(exportButton);
  auto* column = new QVBoxLayout(this);
  column->setContentsMargins(4, 4, 4, 4);
  column->addWidget(tabs_, 1);
  column->addLayout(buttons);
  connect(exportButton, &QPushButton::clicked, this, &PlotsPanel::exportWithDialog);
  if (history_) {
    connect(history_, &HistoryStore::changed, this, &PlotsPanel::showPareto);
    connect(history_, &HistoryStore::changed, this, &PlotsPanel::showStepTimes);
  }
  showDensity();
  showPareto();
  showStepTimes();
}

QCustomPlot* PlotsPanel::plot(Plot which) const {
  switch (which) {
    case Density:
      return densityPlot_;
    case Pareto:
      return paretoPlot_;
    case StepTimes:
      return stepTimePlot_;
  }
  return nullptr;
}

void PlotsPanel::setRecord(std::shared_ptr<const std::vector<CallRecord>> calls) {
  record_ = std::move(calls);
  showDensity();
}

void PlotsPanel::showDensity() {
  density_.clear();
  densityPlot_->clearPlottables();
  densityPlot_->plotLayout()->clear();
  auto* rect = new QCPAxisRect(densityPlot_);
  densityPlot_->plotLayout()->addElement(0, 0, rect);
  densityPlot_->xAxis = rect->axis(QCPAxis::atBottom);
  densityPlot_->yAxis = rect->axis(QCPAxis::atLeft);
  stylePlot(densityPlot_, palette());
  densityPlot_->xAxis->setLabel(tr("step"));
  densityPlot_->yAxis->setLabel(tr("layer"));
  std::map<int, int> stepIndex;
  int layers = 0;
  if (record_)
    for (const CallRecord& c : *record_) {
      stepIndex.emplace(c.step, 0);
      layers = std::max(layers, c.layer + 1);
    }
  int i = 0;
  for (auto& [step, index] : stepIndex) index = i++;
  if (stepIndex.empty() || layers == 0) {
    densityPlot_->replot();
    return;
  }
  const int steps = int(stepIndex.size());
  density_.assign(size_t(layers), std::vector<double>(size_t(steps), -1));
  for (const CallRecord& c : *record_) {
    double sum = 0;
    int n = 0;
    for (const HeadRecord& h : c.headRecords)
      if (h.index < c.heads) sum += h.density, ++n;  // the conditional batch, as the grid shows
    if (n > 0 && c.layer >= 0) density_[size_t(c.layer)][size_t(stepIndex[c.step])] = sum / n;
  }
  auto* map = new QCPColorMap(densityPlot_->xAxis, densityPlot_->yAxis);
  map->data()->setSize(steps, layers);
  map->data()->setRange(QCPRange(stepIndex.begin()->first, stepIndex.rbegin()->first),
                        QCPRange(0, layers - 1));
  for (const auto& [step, index] : stepIndex)
    for (int l = 0; l < layers; ++l) {
      const double v = density_[size_t(l)][size_t(index)];
      if (v >= 0)
        map->data()->setCell(index, l, v);
      else
        map->data()->setAlpha(index, l, 0);
    }
  auto* scale = new QCPColorScale(densityPlot_);
  densityPlot_->plotLayout()->addElement(0, 1, scale);
  scale->axis()->setLabel(tr("density (share of scores computed)"));
  scale->axis()->setTickLabelColor(palette().color(QPalette::Text));
  scale->axis()->setLabelColor(palette().color(QPalette::Text));
  map->setColorScale(scale);
  map->setGradient(heatGradient());
  map->setDataRange(QCPRange(0, 1));
  map->setInterpolate(false);
  auto* margins = new QCPMarginGroup(densityPlot_);
  rect->setMarginGroup(QCP::msBottom | QCP::msTop, margins);
  scale->setMarginGroup(QCP::msBottom | QCP::msTop, margins);
  // Cells are as wide as the spacing of the recorded steps (every step, or every few).
  const double first = stepIndex.begin()->first, last = stepIndex.rbegin()->first;
  const double half = steps > 1 ? (last - first) / (steps - 1) / 2 : 0.5;
  densityPlot_->xAxis->setRange(first - half, last + half);
  densityPlot_->yAxis->setRange(-0.5, layers - 0.5);
  useWholeTicks(densityPlot_->yAxis);
  useWholeTicks(densityPlot_->xAxis);
  densityPlot_->yAxis->setRangeReversed(true);  // layer 0 on top, as in the head grid
  densityPlot_->replot();
}

std::vector<int> PlotsPanel::paretoFront(const std::vector<Point>& points) {
  std::vector<int> order(points.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = int(i);
  std::sort(order.begin(), order.end(), [&](int a, int b) {
    return points[a].speedup != points[b].speedup ? points[a].speedup > points[b].speedup
                                                  : points[a].psnr > points[b].psnr;
  });
  // Walking from the fastest, a point is on the front when it beats every faster point's PSNR.
  std::vector<int> front;
  double best = -1e300;
  for (int i : order)
    if (points[i].psnr > best) {
      front.push_back(i);
      best = points[i].psnr;
    }
  std::reverse(front.begin(), front.end());  // by speed-up, slowest first
  return front;
}

void PlotsPanel::showPareto() {
  points_.clear();
  paretoPlot_->clearPlottables();
  paretoPlot_->clearItems();
  // Each run against its own dense twin (same prompt, seed, size, frames, steps, model): a
  // 20-step sparse run is never set beside a 10-step dense one, and runs of different lengths
  // share one axis.
  paretoPlot_->xAxis->setLabel(tr("speed-up against its own dense twin (×)"));
  paretoPlot_->yAxis->setLabel(tr("PSNR against that twin (dB)"));
  styleLegend(paretoPlot_, palette());
  std::map<QString, QCPGraph*> byMethod;
  int unpaired = 0;
  if (history_)
    for (const HistoryEntry& e : history_->entries()) {
      if (e.isDense()) continue;
      const HistoryEntry* twin = e.hasQuality() ? history_->find(e.twinId) : nullptr;
      const double speedup = twin ? HistoryStore::speedup(e, *twin) : -1;
      if (speedup <= 0) {
        ++unpaired;
        continue;
      }
      const QString method = methodLabel(e.request.attention);
      QCPGraph*& g = byMethod[method];
      if (!g) {
        g = paretoPlot_->addGraph();
        g->setName(method);
        g->setLineStyle(QCPGraph::lsNone);
        g->setScatterStyle(QCPScatterStyle(QCPScatterStyle::ssDisc, methodColour(method), 8));
      }
      g->addData(speedup, e.psnr);
      points_.push_back({speedup, e.psnr});
      auto* label = new QCPItemText(paretoPlot_);
      label->position->setCoords(speedup, e.psnr);
      label->setPositionAlignment(Qt::AlignLeft | Qt::AlignBottom);
      label->setText(' ' + budgetLabel(e.request.attention) +
                     tr(", %1 steps").arg(e.request.steps));
      label->setColor(palette().color(QPalette::Text));
      label->setClipToAxisRect(false);  // a label past the last tick is drawn whole
    }
  const std::vector<int> front = paretoFront(points_);
  if (front.size() > 1) {
    QCPGraph* line = paretoPlot_->addGraph();
    line->setName(tr("Pareto front"));
    line->setPen(QPen(palette().color(QPalette::Text), 1, Qt::DashLine));
    for (int i : front) line->addData(points_[size_t(i)].speedup, points_[size_t(i)].psnr);
  }
  paretoPlot_->rescaleAxes();
  if (!points_.empty()) {
    // Dense is 1× by definition: the line a sparse run has to be right of.
    QCPRange x = paretoPlot_->xAxis->range();
    x.expand(1.0);
    paretoPlot_->xAxis->setRange(x);
    auto* line = new QCPItemStraightLine(paretoPlot_);
    line->point1->setCoords(1, 0);
    line->point2->setCoords(1, 1);
    line->setPen(QPen(palette().color(QPalette::Text), 1.5, Qt::DotLine));
    auto* label = new QCPItemText(paretoPlot_);
    label->position->setTypeY(QCPItemPosition::ptAxisRectRatio);
    label->position->setCoords(1, 0.02);
    label->setPositionAlignment(Qt::AlignLeft | Qt::AlignTop);
    label->setText(tr(" dense = 1×"));
    label->setColor(palette().color(QPalette::Text));
  }
  for (QCPAxis* axis : {paretoPlot_->xAxis, paretoPlot_->yAxis}) axis->scaleRange(1.25);
  // Room on the right for the last point's label.
  const QCPRange x = paretoPlot_->xAxis->range();
  paretoPlot_->xAxis->setRangeUpper(x.upper + 0.25 * x.size());
  paretoNote_ =
      unpaired == 0
          ? QString()
          : (unpaired == 1 ? tr("1 sparse run not shown")
                           : tr("%1 sparse runs not shown").arg(unpaired)) +
                tr(": no dense twin (same prompt, seed, size, frames, steps, model and device) "
                   "measured yet");
  if (!paretoNote_.isEmpty() || points_.empty()) {
    auto* note = new QCPItemText(paretoPlot_);
    note->position->setType(QCPItemPosition::ptAxisRectRatio);
    note->position->setCoords(0.5, 0.5);
    note->setText(points_.empty() && paretoNote_.isEmpty()
                      ? tr("Run a method and dense with the same settings to see its point")
                      : paretoNote_);
    note->setColor(palette().color(QPalette::PlaceholderText));
    if (!points_.empty()) {
      note->position->setCoords(0.5, 0.98);
      note->setPositionAlignment(Qt::AlignHCenter | Qt::AlignBottom);
    }
  }
  paretoPlot_->replot();
}

void PlotsPanel::showStepTimes() {
  stepTimes_ =
      history_ ? stepTimeLines(history_->entries(), kStepTimeRuns) : QVector<StepTimeLine>{};
  drawStepTimes(stepTimePlot_, stepTimes_, palette());
}

bool PlotsPanel::exportPlot(Plot which, const QString& path) const {
  QCustomPlot* p = plot(which);
  const QString suffix = QFileInfo(path).suffix().toLower();
  if (suffix == "png") return p->savePng(path, kExportWidth, kExportHeight);
  if (suffix != "svg") return false;
  QSvgGenerator svg;
  svg.setFileName(path);
  svg.setSize(QSize(kExportWidth, kExportHeight));
  svg.setViewBox(QRect(0, 0, kExportWidth, kExportHeight));
  svg.setTitle(tabs_->tabText(int(which)));
  QCPPainter painter;
  if (!painter.begin(&svg)) return false;
  p->toPainter(&painter, kExportWidth, kExportHeight);
  return painter.end();
}

void PlotsPanel::exportWithDialog() {
  const Plot which = Plot(tabs_->currentIndex());
  QString selected;
  const QString path =
      QFileDialog::getSaveFileName(this, tr("Export plot"), kExportNames[which],
                                   tr("PNG image (*.png);;SVG drawing (*.svg)"), &selected);
  if (path.isEmpty()) return;
  QString target = path;
  if (QFileInfo(target).suffix().isEmpty()) target += selected.contains("svg") ? ".svg" : ".png";
  exportPlot(which, target);
}

}  // namespace svgen::ui
