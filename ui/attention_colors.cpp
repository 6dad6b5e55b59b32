#include "ui/attention_colors.h"

#include <algorithm>
#include <array>
#include <cmath>

namespace svgen::ui {

QColor decisionColor(const QString& decision) {
  if (decision == "spatial") return QColor(0x4e, 0x79, 0xa7);
  if (decision == "temporal") return QColor(0xf2, 0x8e, 0x2b);
  if (decision == "dense") return QColor(0x9a, 0x9a, 0x9a);
  if (decision == "cluster") return QColor(0x59, 0xa1, 0x4f);
  return QColor(0x50, 0x50, 0x50);
}

QColor heatColor(double t) {
  // A perceptual dark-blue → teal → yellow ramp (close to viridis).
  static const std::array<QColor, 5> stops = {QColor(0x44, 0x01, 0x54), QColor(0x3b, 0x52, 0x8b),
                                              QColor(0x21, 0x90, 0x8d), QColor(0x5d, 0xc9, 0x63),
                                              QColor(0xfd, 0xe7, 0x25)};
  t = std::clamp(t, 0.0, 1.0) * (stops.size() - 1);
  const int i = std::min(int(t), int(stops.size()) - 2);
  const double f = t - i;
  const QColor& a = stops[i];
  const QColor& b = stops[i + 1];
  return QColor(int(std::lround(a.red() + f * (b.red() - a.red()))),
                int(std::lround(a.green() + f * (b.green() - a.green()))),
                int(std::lround(a.blue() + f * (b.blue() - a.blue()))));
}

}  // namespace svgen::ui
