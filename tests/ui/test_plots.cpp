// The Plots dock offscreen: the density heat map holds each (layer, step)'s mean density over the
// conditional batch's heads, the Pareto plot takes the history's measured runs and finds the ones
// no other beats on both time and PSNR, the step plot draws each run's seconds per step (runs kept
// before step times were recorded load and are left out), and every plot exports to PNG and SVG.
#include "tests/support/history_index.h"
#include "tests/support/test_support.h"

#include "core/attention/attention_recorder.h"
#include "ui/history_store.h"

#ifdef SVGEN_HAVE_PLOTS
#include "ui/plots_panel.h"

#include <qcustomplot.h>
#endif

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QImage>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QStandardPaths>
#include <QtTest>

using namespace svgen;
using namespace svgen::ui;

class TestPlots : public QObject {
  Q_OBJECT
 private slots:
  void densityHeatMap();
  void paretoOfTheHistoryAndExport();
  void stepTimesOfTheHistory();
};

#ifdef SVGEN_HAVE_PLOTS

namespace {

// Layers 0–1, steps 0, 2, 4 (a record that kept every other step); batch 2 × 2 heads; the call
// of layer 1 at step 4 is missing.
std::shared_ptr<const std::vector<CallRecord>> record() {
  auto calls = std::make_shared<std::vector<CallRecord>>();
  for (int step : {0, 2, 4})
    for (int layer = 0; layer < 2; ++layer) {
      if (layer == 1 && step == 4) continue;
      CallRecord c;
      c.step = step;
      c.layer = layer;
      c.method = "svg2";
      c.batch = 2;
      c.heads = 2;
      for (int i = 0; i < 4; ++i) {
        HeadRecord h;
        h.index = i;
        h.decision = "cluster";
        // The unconditional batch (heads 2, 3) would pull the mean to 1 if it were counted.
        h.density = i < 2 ? 0.1 * (layer + 1) + 0.05 * i + 0.01 * step : 1.0;
        c.headRecords.push_back(h);
      }
      calls->push_back(c);
    }
  return calls;
}

double expectedDensity(int layer, int step) {
  return (0.1 * (layer + 1) + 0.01 * step + 0.1 * (layer + 1) + 0.05 + 0.01 * step) / 2;
}

}  // namespace

void TestPlots::densityHeatMap() {
  PlotsPanel panel(nullptr);
  panel.resize(500, 400);
  panel.show();
  QVERIFY(panel.densityGrid().empty());
  panel.setRecord(record());
  const auto& grid = panel.densityGrid();
  QCOMPARE(int(grid.size()), 2);
  QCOMPARE(int(grid[0].size()), 3);
  for (int layer = 0; layer < 2; ++layer)
    for (int s = 0; s < 3; ++s) {
      if (layer == 1 && s == 2) {
        QCOMPARE(grid[1][2], -1.0);
        continue;
      }
      QVERIFY(std::abs(grid[size_t(layer)][size_t(s)] - expectedDensity(layer, 2 * s)) < 1e-12);
    }
  // The colour map's cells carry the same values, at the record's step numbers.
  QCustomPlot* plot = panel.plot(PlotsPanel::Density);
  auto* map = qobject_cast<QCPColorMap*>(plot->plottable(0));
  QVERIFY(map);
  QCOMPARE(map->data()->keySize(), 3);
  QCOMPARE(map->data()->valueSize(), 2);
  QCOMPARE(map->data()->data(4, 0), expectedDensity(0, 4));
  QCOMPARE(map->data()->data(2, 1), expectedDensity(1, 2));
  QCOMPARE(map->data()->alpha(2, 1), quint8(0));  // the missing call is see-through
}

void TestPlots::paretoOfTheHistoryAndExport() {
  // {speed-up, PSNR}: the front runs from the best PSNR to the fastest, slowest first.
  QCOMPARE(PlotsPanel::paretoFront({{1.5, 30}, {1.25, 25}, {0.75, 35}, {1.9, 20}, {0.75, 34}}),
           (std::vector<int>{2, 0, 3}));

  // A history written by hand: a dense run and three measured sparse runs.
  const QString folder = QString::fromStdString(test::freshDir("ui_plots_history"));
  QJsonArray runs;
  struct Run {
    const char* id;
    const char* method;
    double topP, seconds, psnr;
  };
  // Dense "d" (15 s) is the twin of a, b, c (20 steps); "e" (10 steps, another prompt) has no
  // twin and is named, not drawn; the 10-step dense run "d10" (5 s) is nobody's bar (the plot used
  // to draw the fastest dense run as the line every point was measured against).
  for (const Run& r : {Run{"d", "dense", 0.9, 15, -1}, Run{"a", "svg2", 0.9, 10, 30},
                       Run{"b", "svg2", 0.5, 12, 25}, Run{"c", "svg", 0.9, 20, 35},
                       Run{"d10", "dense", 0.9, 5, -1}, Run{"e", "svg", 0.5, 4, -1}}) {
    QDir().mkpath(folder + '/' + r.id);
    const int steps = std::string(r.id).size() > 1 || r.id[0] == 'e' ? 10 : 20;
    QJsonObject request{{"prompt", r.id[0] == 'e' ? "a blue square" : "a red circle"},
                        {"seed", 1},
                        {"steps", steps}};
    request["attention"] = QJsonObject{{"method", r.method}, {"top_p", r.topP}};
    QJsonObject o{{"id", r.id}, {"request", request}, {"total_seconds", r.seconds}};
    if (r.psnr > 0) {
      o["twin"] = "d";
      o["psnr"] = r.psnr;
      o["ssim"] = 0.9;
    }
    runs.append(o);
  }
  QVERIFY(test::writeHistoryIndex(folder, runs));
  HistoryStore store(folder);
  QCOMPARE(store.entries().size(), 6);

  PlotsPanel panel(&store);
  panel.resize(500, 400);
  panel.show();
  const auto& points = panel.paretoPoints();
  // Dense runs have no PSNR against themselves; "e" has no twin and is named, not drawn.
  QCOMPARE(int(points.size()), 3);
  QVERIFY2(panel.paretoNote().contains("1 sparse run"), qPrintable(panel.paretoNote()));
  // Against twin "d" (15 s): a 1.5x, b 1.25x, c 0.75x.
  QCOMPARE(points[0].speedup, 1.5);
  QCOMPARE(points[2].speedup, 0.75);
  QCOMPARE(PlotsPanel::paretoFront(points).size(), size_t(2));
  QCustomPlot* plot = panel.plot(PlotsPanel::Pareto);
  // One graph per method (SVG2, SVG) and the front, which runs c then a.
  QCOMPARE(plot->graphCount(), 3);
  QCOMPARE(plot->graph(2)->dataCount(), 2);
  QCOMPARE(plot->graph(2)->data()->at(0)->key, 0.75);
  QCOMPARE(plot->graph(2)->data()->at(1)->key, 1.5);
  // The dense line is at 1x and every label says its steps.
  bool denseLine = false;
  for (int i = 0; i < plot->itemCount(); ++i) {
    if (auto* line = qobject_cast<QCPItemStraightLine*>(plot->item(i)))
      denseLine = line->point1->coords().x() == 1.0;
    if (auto* text = qobject_cast<QCPItemText*>(plot->item(i)))
      if (text->text().contains("top-p")) QVERIFY(text->text().contains("20 steps"));
  }
  QVERIFY(denseLine);
  // The legend is outside the axis rect, where it cannot cover a label.
  QVERIFY(!plot->axisRect()->insetLayout()->elements(false).contains(plot->legend));

  // Deleting a run redraws the plot.
  QVERIFY(store.remove("c"));
  QCOMPARE(int(panel.paretoPoints().size()), 2);

  panel.setRecord(record());
  const QString out = QString::fromStdString(test::freshDir("ui_plots_export"));
  for (PlotsPanel::Plot which : {PlotsPanel::Density, PlotsPanel::Pareto}) {
    const QString base = out + (which == PlotsPanel::Density ? "/density" : "/pareto");
    QVERIFY(panel.exportPlot(which, base + ".png"));
    const QImage png(base + ".png");
    QCOMPARE(png.size(), QSize(900, 600));
    QVERIFY(panel.exportPlot(which, base + ".svg"));
    QFile svg(base + ".svg");
    QVERIFY(svg.open(QIODevice::ReadOnly));
    const QByteArray text = svg.readAll();
    QVERIFY(text.contains("<svg") && text.contains("</svg>"));
    QVERIFY(text.size() > 1000);
  }
  QVERIFY(!panel.exportPlot(PlotsPanel::Density, out + "/density.bmpx"));
}

void TestPlots::stepTimesOfTheHistory() {
  // Newest first, as the history keeps them: a sparse run with two dense warm-up steps, a dense
  // run, and a run kept before the history recorded step times.
  const QString folder = QString::fromStdString(test::freshDir("ui_plots_step_times"));
  const QVector<double> sparseSteps = {0.9, 0.8, 0.3, 0.25, 0.3};
  const QVector<double> denseSteps = {0.85, 0.9, 0.8, 0.82};
  QJsonArray runs;
  auto run = [&](const char* id, const char* method, const QVector<double>& steps) {
    QDir().mkpath(folder + '/' + id);
    QJsonObject request{{"prompt", "a red circle"}, {"seed", 1}};
    request["attention"] = QJsonObject{{"method", method}, {"top_p", 0.9}};
    QJsonObject o{{"id", id}, {"request", request}, {"total_seconds", 3.5}};
    if (!steps.isEmpty()) {
      QJsonArray a;
      for (double s : steps) a.append(s);
      o["step_seconds"] = a;
    }
    runs.append(o);
  };
  run("sparse", "svg2", sparseSteps);
  run("dense", "dense", denseSteps);
  run("old", "svg", {});
  QVERIFY(test::writeHistoryIndex(folder, runs));
  HistoryStore store(folder);
  QCOMPARE(store.entries().size(), 3);
  QVERIFY(store.entries()[2].stepSeconds.isEmpty());  // the old entry loads, without steps

  PlotsPanel panel(&store);
  panel.resize(500, 400);
  panel.show();
  QCustomPlot* plot = panel.plot(PlotsPanel::StepTimes);
  QCOMPARE(plot->objectName(), QString("stepTimePlot"));
  // Oldest first, so the newest run is drawn on top; the run without step times has no line.
  QCOMPARE(plot->graphCount(), 2);
  QCOMPARE(panel.stepTimes()[0].id, QString("dense"));
  QCOMPARE(panel.stepTimes()[1].id, QString("sparse"));
  const QVector<double>* want[] = {&denseSteps, &sparseSteps};
  for (int g = 0; g < 2; ++g) {
    QCOMPARE(plot->graph(g)->dataCount(), want[g]->size());
    for (int i = 0; i < want[g]->size(); ++i) {
      QCOMPARE(plot->graph(g)->data()->at(i)->key, double(i + 1));
      QCOMPARE(plot->graph(g)->data()->at(i)->value, (*want[g])[i]);
    }
  }
  QCOMPARE(plot->graph(0)->name(), QString("Dense (3.5 s)"));
  QCOMPARE(plot->graph(1)->name(), QString("SVG2 top-p 0.90 (3.5 s)"));
  QVERIFY(plot->graph(0)->pen().color() != plot->graph(1)->pen().color());
  QVERIFY(plot->legend->visible());

  // Deleting a run redraws the plot.
  QVERIFY(store.remove("dense"));
  QCOMPARE(plot->graphCount(), 1);

  const QString out = QString::fromStdString(test::freshDir("ui_plots_step_export"));
  QVERIFY(panel.exportPlot(PlotsPanel::StepTimes, out + "/steps.png"));
  QCOMPARE(QImage(out + "/steps.png").size(), QSize(900, 600));
  QVERIFY(panel.exportPlot(PlotsPanel::StepTimes, out + "/steps.svg"));
  QVERIFY(QFileInfo(out + "/steps.svg").size() > 1000);
}

#else

void TestPlots::stepTimesOfTheHistory() {
  QSKIP("built without QCustomPlot");
}

void TestPlots::densityHeatMap() {
  QSKIP("built without QCustomPlot");
}

void TestPlots::paretoOfTheHistoryAndExport() {
  QSKIP("built without QCustomPlot");
}

#endif

QTEST_MAIN(TestPlots)
#include "test_plots.moc"
