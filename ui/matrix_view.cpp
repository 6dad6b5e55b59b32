#include "ui/matrix_view.h"

#include "ui/attention_colors.h"

#include <QDialog>
#include <QMouseEvent>
#include <QPainter>
#include <QToolTip>
#include <QVBoxLayout>

#include <algorithm>
#include <cmath>

namespace svgen::ui {

MatrixView::MatrixView(Style style, QWidget* parent) : QWidget(parent), style_(style) {
  QSizePolicy policy(QSizePolicy::Preferred, QSizePolicy::Preferred);
  policy.setHeightForWidth(true);
  setSizePolicy(policy);
  setMinimumSize(64, 64);
  setMouseTracking(true);
}

namespace {
constexpr int kAxisRoom = 16;   // left and top: the axis titles and end indices
constexpr int kScaleRoom = 18;  // below a heat map: its colour scale
constexpr int kMinMaskHeight = 96;
}  // namespace

void MatrixView::setAxes(const QString& rowTitle, const QString& colTitle) {
  rowTitle_ = rowTitle;
  colTitle_ = colTitle;
  update();
}

QRect MatrixView::room() const {
  const int left = rowTitle_.isEmpty() ? 0 : kAxisRoom;
  const int top = colTitle_.isEmpty() ? 0 : kAxisRoom;
  const int bottom = style_ == Style::Heat ? kScaleRoom : 0;
  return QRect(left, top, width() - left, height() - top - bottom);
}

void MatrixView::setMaskColor(const QColor& color) {
  maskColor_ = color;
  update();
}

QWidget* MatrixView::openEnlarged(const QString& title) {
  auto* window = new QDialog(this);
  window->setObjectName("enlargedMatrix");
  window->setWindowTitle(title);
  window->setAttribute(Qt::WA_DeleteOnClose);
  auto* copy = new MatrixView(style_, window);
  copy->setObjectName(objectName() + "Enlarged");
  copy->setAxes(rowTitle_, colTitle_);
  copy->setMaskColor(maskColor_);
  copy->setMatrix(rows_, cols_, values_);
  copy->setToolTip(toolTip());
  auto* layout = new QVBoxLayout(window);
  layout->addWidget(copy);
  window->resize(900, 640);
  window->show();
  return window;
}

void MatrixView::mouseDoubleClickEvent(QMouseEvent* event) {
  if (rows_ > 0 && cols_ > 0) openEnlarged(rowTitle_ + QStringLiteral(" × ") + colTitle_);
  QWidget::mouseDoubleClickEvent(event);
}

QString MatrixView::valueTextAt(const QPoint& point) const {
  for (int r = 0; r < rows_; ++r)
    for (int c = 0; c < cols_; ++c)
      if (cellRect(r, c).contains(point)) {
        const float v = values_.at(size_t(r) * cols_ + c);
        const QString value = style_ == Style::Mask ? (v > 0 ? tr("kept") : tr("skipped"))
                                                    : QString::number(v, 'f', 3);
        return tr("%1 %2, %3 %4: %5")
            .arg(rowTitle_.isEmpty() ? tr("row") : rowTitle_)
            .arg(r + 1)
            .arg(colTitle_.isEmpty() ? tr("column") : colTitle_)
            .arg(c + 1)
            .arg(value);
      }
  return {};
}

void MatrixView::mouseMoveEvent(QMouseEvent* event) {
  const QString text = valueTextAt(event->position().toPoint());
  if (text.isEmpty())
    QToolTip::hideText();
  else
    QToolTip::showText(event->globalPosition().toPoint(), text, this);
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
  const int extra =
      (colTitle_.isEmpty() ? 0 : kAxisRoom) + (style_ == Style::Heat ? kScaleRoom : 0);
  const int inner = width - (rowTitle_.isEmpty() ? 0 : kAxisRoom);
  if (rows_ <= 0 || cols_ <= 0) return inner + extra;
  const int natural = inner * rows_ / cols_;
  return extra + std::max(style_ == Style::Mask ? kMinMaskHeight : 64, natural);
}

QRect MatrixView::area() const {
  if (rows_ <= 0 || cols_ <= 0) return {};
  const QRect r = room();
  double cellW = std::min(double(r.width()) / cols_, double(r.height()) / rows_);
  double cellH = cellW;
  // A wide mask fills the width and stretches its rows up to the room it has.
  if (style_ == Style::Mask && cellW * rows_ < kMinMaskHeight) {
    cellW = double(r.width()) / cols_;
    cellH = std::max(cellW, std::min(double(r.height()), double(kMinMaskHeight)) / rows_);
  }
  const int w = int(cellW * cols_), h = int(cellH * rows_);
  return {r.left() + (r.width() - w) / 2, r.top() + (r.height() - h) / 2, w, h};
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
    return v > 0 ? (maskColor_.isValid() ? maskColor_ : palette().color(QPalette::Highlight))
                 : palette().color(QPalette::Base);
  return heatColor(v / max_);
}

void MatrixView::paintEvent(QPaintEvent*) {
  QPainter p(this);
  if (rows_ <= 0 || cols_ <= 0 || values_.size() != size_t(rows_) * cols_) return;
  for (int r = 0; r < rows_; ++r)
    for (int c = 0; c < cols_; ++c) p.fillRect(cellRect(r, c), colorAt(r, c));
  const QRect a = area();
  p.setPen(palette().color(QPalette::Mid));
  p.drawRect(a.adjusted(0, 0, -1, -1));

  QFont small = font();
  small.setPointSizeF(std::max(6.0, small.pointSizeF() * 0.8));
  p.setFont(small);
  p.setPen(palette().color(QPalette::WindowText));
  if (!colTitle_.isEmpty()) {
    const QRect band(a.left(), a.top() - kAxisRoom, a.width(), kAxisRoom);
    p.drawText(band, Qt::AlignLeft | Qt::AlignVCenter, QStringLiteral("1"));
    p.drawText(band, Qt::AlignHCenter | Qt::AlignVCenter, colTitle_ + QStringLiteral(" →"));
    p.drawText(band, Qt::AlignRight | Qt::AlignVCenter, QString::number(cols_));
  }
  if (!rowTitle_.isEmpty()) {
    p.save();
    p.translate(a.left() - kAxisRoom, a.bottom());
    p.rotate(-90);
    const QRect band(0, 0, a.height(), kAxisRoom);
    p.drawText(band, Qt::AlignLeft | Qt::AlignVCenter, QString::number(rows_));
    p.drawText(band, Qt::AlignHCenter | Qt::AlignVCenter, QStringLiteral("← ") + rowTitle_);
    p.drawText(band, Qt::AlignRight | Qt::AlignVCenter, QStringLiteral("1"));
    p.restore();
  }
  if (style_ == Style::Heat) {
    // The colour scale: 0 at the left to the largest value at the right.
    const QRect bar(a.left() + 24, a.bottom() + 6, std::max(8, a.width() - 72), 8);
    for (int x = 0; x < bar.width(); ++x)
      p.fillRect(QRect(bar.left() + x, bar.top(), 1, bar.height()),
                 heatColor(float(x) / std::max(1, bar.width() - 1)));
    const QRect labels(a.left(), bar.top() - 3, a.width(), bar.height() + 6);
    p.drawText(labels, Qt::AlignLeft | Qt::AlignVCenter, QStringLiteral("0"));
    p.drawText(labels, Qt::AlignRight | Qt::AlignVCenter, QString::number(max_, 'f', 2));
  }
}

}  // namespace svgen::ui
