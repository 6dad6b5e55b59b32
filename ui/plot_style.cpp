#include "ui/plot_style.h"

#include <QHash>
#include <qcustomplot.h>

namespace svgen::ui {

void stylePlot(QCustomPlot* plot, const QPalette& palette) {
  plot->setBackground(palette.color(QPalette::Base));
  for (QCPAxis* axis : {plot->xAxis, plot->yAxis}) {
    axis->setBasePen(QPen(palette.color(QPalette::Text)));
    axis->setTickPen(QPen(palette.color(QPalette::Text)));
    axis->setSubTickPen(QPen(palette.color(QPalette::Text)));
    axis->setTickLabelColor(palette.color(QPalette::Text));
    axis->setLabelColor(palette.color(QPalette::Text));
    axis->grid()->setPen(QPen(palette.color(QPalette::Mid), 0, Qt::DotLine));
  }
}

void styleLegend(QCustomPlot* plot, const QPalette& palette) {
  plot->legend->setVisible(true);
  plot->legend->setBrush(palette.color(QPalette::Base));
  plot->legend->setTextColor(palette.color(QPalette::Text));
}

void useWholeTicks(QCPAxis* axis) {
  QSharedPointer<QCPAxisTickerFixed> whole(new QCPAxisTickerFixed);
  whole->setTickStep(1);
  whole->setScaleStrategy(QCPAxisTickerFixed::ssMultiples);
  axis->setTicker(whole);
}

QColor methodColour(const QString& method) {
  // Tableau 10: tells apart for the common kinds of colour blindness, on dark and light palettes.
  static const QColor palette[] = {QColor(0x4e, 0x79, 0xa7), QColor(0xf2, 0x8e, 0x2b),
                                   QColor(0x59, 0xa1, 0x4f), QColor(0xe1, 0x57, 0x59),
                                   QColor(0x76, 0xb7, 0xb2), QColor(0xed, 0xc9, 0x48),
                                   QColor(0xb0, 0x7a, 0xa1), QColor(0xff, 0x9d, 0xa7)};
  static QHash<QString, int> index = {{"Dense", 0}, {"SVG", 1}, {"SVG2", 2}, {"SVOO", 3}};
  auto it = index.find(method);
  if (it == index.end()) it = index.insert(method, int(index.size()));
  return palette[*it % int(std::size(palette))];
}

}  // namespace svgen::ui
