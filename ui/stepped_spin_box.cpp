#include "ui/stepped_spin_box.h"

#include <algorithm>
#include <cmath>

namespace svgen::ui {

SteppedSpinBox::SteppedSpinBox(QWidget* parent) : QSpinBox(parent) {}

void SteppedSpinBox::setGrid(int multiple, int offset, int minimum, int maximum) {
  multiple_ = std::max(1, multiple);
  offset_ = offset;
  auto up = [&](int v) { return v + ((offset_ - v) % multiple_ + multiple_) % multiple_; };
  auto down = [&](int v) { return v - ((v - offset_) % multiple_ + multiple_) % multiple_; };
  const int lo = up(minimum);
  setRange(lo, std::max(lo, down(maximum)));
  setSingleStep(multiple_);
  setSnappedValue(value());
}

bool SteppedSpinBox::onGrid(int value) const {
  return ((value - offset_) % multiple_ + multiple_) % multiple_ == 0;
}

int SteppedSpinBox::snapped(int value) const {
  const double k = std::round(double(value - offset_) / multiple_);
  const int v = offset_ + static_cast<int>(k) * multiple_;
  // The range ends are on the grid, so clamping keeps the value there.
  return std::clamp(v, minimum(), maximum());
}

QValidator::State SteppedSpinBox::validate(QString& text, int& pos) const {
  const QValidator::State state = QSpinBox::validate(text, pos);
  if (state != QValidator::Acceptable) return state;
  return onGrid(valueFromText(text)) ? QValidator::Acceptable : QValidator::Intermediate;
}

void SteppedSpinBox::fixup(QString& input) const {
  QString number = input.trimmed();
  if (number.startsWith(prefix())) number.remove(0, prefix().size());
  if (number.endsWith(suffix())) number.chop(suffix().size());
  bool ok = false;
  const int typed = locale().toInt(number.trimmed(), &ok);
  if (ok) input = prefix() + textFromValue(snapped(typed)) + suffix();
}

void SteppedSpinBox::stepBy(int steps) {
  setValue(snapped(snapped(value()) + steps * multiple_));
}

}  // namespace svgen::ui
