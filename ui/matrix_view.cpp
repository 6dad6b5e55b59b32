#include "ui/matrix_view.h"

#include "ui/attention_colors.h"

#include <QPainter>

#include <algorithm>
#include <cmath>

namespace svgen::ui {

MatrixView::MatrixView(Style style, QWidget* parent) : QWidget(parent), style_(style) {
  QSizePolicy policy(QSizePolicy::Preferred, QSizePolicy::Preferred);
  policy.setHeightForWidth(true);
  setSizePolicy(policy);
  setMinimumSize(64, 64);
}

void MatrixView::setMatrix(int rows, int cols, std::vector<float> values) {
  rows_ = rows;
  cols_ = cols;
  values_ = std::move(values);
  max_ = values_.empty() ? 1.f : *std::max_element(values_.begin(), values_.end());
  if (max_ <= 0) max_ = 1;
  updateGeometry();
  update();
}

QSize MatrixView::sizeHint() const {
  return {128, 128};
}

int MatrixView::heightForWidth(int width) const {
  if (rows_ <= 0 || cols_ <= 0) return width;
  return std::max(64, width * rows_ / cols_);
}

QRect MatrixView::area() const {
  if (rows_ <= 0 || cols_ <= 0) return {};
  const double cell = std::min(double(width()) / cols_, double(height()) / rows_);
  const int w = int(cell * cols_), h = int(cell * rows_);
  return {(width() - w) / 2, (height() - h) / 2, w, h};
}

QRect MatrixView::cellRect(int row, int col) const {
  const QRect a = area();
  if (a.isEmpty()) return {};
  const auto x = [&](int c) { return a.left() + c * a.width() / cols_; };
  const auto y = [&](int r) { return a.top() + r * a.height() / rows_; };
  return QRect(QPoint(x(col), y(row)), QPoint(x(col + 1) - 1, y(row + 1) - 1));
}

QColor MatrixView::colorAt(int row, int col) const {
  const float v = values_.at(size_t(row) * cols_ + col);
  if (style_ == Style::Mask)
    return v > 0 ? palette().color(QPalette::Highlight) : palette().color(QPalette::Base);
  return heatColor(v / max_);
}

void MatrixView::paintEvent(QPaintEvent*) {
  QPainter p(this);
  if (rows_ <= 0 || cols_ <= 0 || values_.size() != size_t(rows_) * cols_) return;
  for (int r = 0; r < rows_; ++r)
    for (int c = 0; c < cols_; ++c) p.fillRect(cellRect(r, c), colorAt(r, c));
  p.setPen(palette().color(QPalette::Mid));
  p.drawRect(area().adjusted(0, 0, -1, -1));
}

}  // namespace svgen::ui
