// A spin box that only takes values on a grid, offset + k·multiple (Wan frames are 4k + 1, sizes a
// multiple of 16): arrows move along the grid and a typed value snaps to the nearest point on it,
// so a request never carries a value the model would reject.
#pragma once
#include <QSpinBox>

namespace svgen::ui {

class SteppedSpinBox : public QSpinBox {
  Q_OBJECT
 public:
  explicit SteppedSpinBox(QWidget* parent = nullptr);

  // Also moves the range inwards onto the grid.
  void setGrid(int multiple, int offset, int minimum, int maximum);
  int multiple() const { return multiple_; }
  int offset() const { return offset_; }

  // The nearest value on the grid within the range.
  int snapped(int value) const;
  void setSnappedValue(int value) { setValue(snapped(value)); }

  QValidator::State validate(QString& text, int& pos) const override;
  void fixup(QString& input) const override;
  void stepBy(int steps) override;

 private:
  bool onGrid(int value) const;

  int multiple_ = 1;
  int offset_ = 0;
};

}  // namespace svgen::ui
