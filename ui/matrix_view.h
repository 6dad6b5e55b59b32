// A small matrix drawn as square cells: the explorer's frame × frame attention map and kept-block
// mask.
#pragma once
#include <QColor>
#include <QWidget>

#include <vector>

namespace svgen::ui {

// A rows × cols matrix painted as square cells: a heat map of values in [0, max] or a 0/1 mask.
class MatrixView : public QWidget {
  Q_OBJECT
 public:
  enum class Style { Heat, Mask };
  explicit MatrixView(Style style, QWidget* parent = nullptr);
  void setMatrix(int rows, int cols, std::vector<float> values);
  void clear() { setMatrix(0, 0, {}); }
  int rows() const { return rows_; }
  int cols() const { return cols_; }
  const std::vector<float>& values() const { return values_; }
  QRect cellRect(int row, int col) const;
  QColor colorAt(int row, int col) const;
  QSize sizeHint() const override;
  bool hasHeightForWidth() const override { return true; }
  int heightForWidth(int width) const override;

 protected:
  void paintEvent(QPaintEvent* event) override;

 private:
  QRect area() const;
  Style style_;
  int rows_ = 0, cols_ = 0;
  std::vector<float> values_;
  float max_ = 1;
};

}  // namespace svgen::ui
