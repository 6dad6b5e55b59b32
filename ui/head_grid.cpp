#include "ui/head_grid.h"

#include "core/attention/attention_record.h"
#include "ui/attention_colors.h"

#include <QEvent>
#include <QHelpEvent>
#include <QMouseEvent>
#include <QPainter>
#include <QToolTip>

#include <algorithm>

namespace svgen::ui {

namespace {

constexpr int kMaxCell = 26;
constexpr int kMinCell = 4;
constexpr int kGap = 1;

QString errorText(double e) {
  return e < 0 ? QObject::tr("not profiled") : QString::number(e, 'g', 3);
}

}  // namespace

HeadGrid::HeadGrid(QWidget* parent) : QWidget(parent) {
  setObjectName("headGrid");
  setSizePolicy(QSizePolicy::Expanding, QSizePolicy::Preferred);
  setMouseTracking(false);
}

void HeadGrid::setCalls(std::vector<const CallRecord*> calls, int heads) {
  calls_ = std::move(calls);
  heads_ = heads;
  updateGeometry();
  update();
}

void HeadGrid::setSelected(int layer, int head) {
  selectedLayer_ = layer;
  selectedHead_ = head;
  update();
}

int HeadGrid::cellSize() const {
  if (heads_ <= 0 || calls_.empty()) return kMaxCell;
  const int byWidth = (width() - kGap) / heads_ - kGap;
  const int byHeight = (height() - kGap) / layers() - kGap;
  return std::clamp(std::min(byWidth, byHeight), kMinCell, kMaxCell);
}

QRect HeadGrid::cellRect(int layer, int head) const {
  const int c = cellSize();
  const int gridWidth = heads_ * (c + kGap) + kGap;
  const int left = std::max(0, (width() - gridWidth) / 2);
  return {left + kGap + head * (c + kGap), kGap + layer * (c + kGap), c, c};
}

const HeadRecord* HeadGrid::headAt(int layer, int head) const {
  if (layer < 0 || layer >= layers() || head < 0 || head >= heads_ || !calls_[layer])
    return nullptr;
  for (const HeadRecord& h : calls_[layer]->headRecords)
    if (h.index == head) return &h;
  return nullptr;
}

QColor HeadGrid::cellColor(int layer, int head) const {
  const HeadRecord* h = headAt(layer, head);
  return h ? decisionColor(QString::fromStdString(h->decision)) : palette().color(QPalette::Mid);
}

QSize HeadGrid::sizeHint() const {
  const int c = kMaxCell - 4;
  return {std::max(1, heads_) * (c + kGap) + kGap, std::max(1, layers()) * (c + kGap) + kGap};
}

QSize HeadGrid::minimumSizeHint() const {
  return {std::max(1, heads_) * (kMinCell + kGap) + kGap,
          std::max(1, layers()) * (kMinCell + kGap) + kGap};
}

bool HeadGrid::cellAt(const QPoint& p, int* layer, int* head) const {
  for (int l = 0; l < layers(); ++l)
    for (int h = 0; h < heads_; ++h)
      if (cellRect(l, h).adjusted(0, 0, kGap, kGap).contains(p)) {
        *layer = l;
        *head = h;
        return true;
      }
  return false;
}

void HeadGrid::paintEvent(QPaintEvent*) {
  QPainter p(this);
  for (int l = 0; l < layers(); ++l)
    for (int h = 0; h < heads_; ++h) p.fillRect(cellRect(l, h), cellColor(l, h));
  if (selectedLayer_ >= 0 && selectedLayer_ < layers() && selectedHead_ >= 0 &&
      selectedHead_ < heads_) {
    const QRect r = cellRect(selectedLayer_, selectedHead_).adjusted(-1, -1, 0, 0);
    p.setPen(QPen(palette().color(QPalette::Text), 2));
    p.drawRect(r);
  }
}

void HeadGrid::mousePressEvent(QMouseEvent* event) {
  int layer = 0, head = 0;
  if (event->button() == Qt::LeftButton && cellAt(event->position().toPoint(), &layer, &head))
    emit cellClicked(layer, head);
}

bool HeadGrid::event(QEvent* event) {
  if (event->type() == QEvent::ToolTip) {
    auto* help = static_cast<QHelpEvent*>(event);
    int layer = 0, head = 0;
    const HeadRecord* h = cellAt(help->pos(), &layer, &head) ? headAt(layer, head) : nullptr;
    if (!h) {
      QToolTip::hideText();
      event->ignore();
      return true;
    }
    QString text = tr("Layer %1, head %2: %3\nDensity %4%")
                       .arg(layer)
                       .arg(head)
                       .arg(QString::fromStdString(h->decision))
                       .arg(100 * h->density, 0, 'f', 1);
    if (h->spatialError >= 0 || h->temporalError >= 0)
      text += tr("\nError: spatial %1, temporal %2")
                  .arg(errorText(h->spatialError), errorText(h->temporalError));
    QToolTip::showText(help->globalPos(), text, this, cellRect(layer, head));
    return true;
  }
  return QWidget::event(event);
}

}  // namespace svgen::ui
