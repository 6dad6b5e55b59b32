// A small matrix drawn as square cells: the explorer's frame × frame attention map and kept-block
// mask.
#pragma once
#include <QColor>
#include <QWidget>

#include <vector>

namespace svgen::ui {

// A rows × cols matrix: a heat map of values in [0, max] with its colour scale, or a 0/1 mask.
// Axis titles with the first and last index name what rows and columns are (counted from 1), and
// hovering a cell says its row, column and value. A mask far wider than tall (SVG2's 32 × 256
// cluster blocks) gets taller cells so that it does not shrink to a strip.
class MatrixView : public QWidget {
  Q_OBJECT
 public:
  enum class Style { Heat, Mask };
  explicit MatrixView(Style style, QWidget* parent = nullptr);
  void setMatrix(int rows, int cols, std::vector<float> values);
  void clear() { setMatrix(0, 0, {}); }
  // "query frame", "key frame": drawn beside the matrix and used in the hover text.
  void setAxes(const QString& rowTitle, const QString& colTitle);
  // A mask's kept cells in this colour (the head's decision: spatial and temporal masks differ at
  // a glance); the palette's highlight when invalid.
  void setMaskColor(const QColor& color);
  // A new, larger view of the same matrix in a window of its own (double-click opens one): hover
  // values on cells big enough to aim at.
  QWidget* openEnlarged(const QString& title);
  // What hovering `point` shows ("query frame 2, key frame 3: 0.231"); empty off the cells.
  QString valueTextAt(const QPoint& point) const;
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
  void mouseMoveEvent(QMouseEvent* event) override;
  void mouseDoubleClickEvent(QMouseEvent* event) override;

 private:
  QRect area() const;
  Style style_;
  int rows_ = 0, cols_ = 0;
  std::vector<float> values_;
  float max_ = 1;
  QString rowTitle_, colTitle_;
  QColor maskColor_;
  QRect room() const;  // inside the axis titles and the scale bar
};

}  // namespace svgen::ui
