#include "ui/frame_view.h"

#include <QPainter>

#include <algorithm>

namespace svgen::ui {

FrameView::FrameView(QWidget* parent) : QWidget(parent) {
  setSizePolicy(QSizePolicy::Expanding, QSizePolicy::Expanding);
  setAttribute(Qt::WA_OpaquePaintEvent);
  // A click on the picture takes the keyboard from the prompt, so the player's keys (Space,
  // Left, Right) work after it instead of moving the text cursor.
  setFocusPolicy(Qt::ClickFocus);
}

void FrameView::setImage(const QImage& image) {
  image_ = image;
  update();
}

void FrameView::setPlaceholder(const QString& text) {
  placeholder_ = text;
  update();
}

QSize FrameView::displaySize(QSize image, QSize room) {
  if (image.isEmpty() || room.isEmpty()) return {};
  if (image.width() <= room.width() && image.height() <= room.height()) {
    const int factor = std::min(room.width() / image.width(), room.height() / image.height());
    return image * factor;
  }
  return image.scaled(room, Qt::KeepAspectRatio);
}

void FrameView::paintEvent(QPaintEvent*) {
  QPainter painter(this);
  // Near-black whatever the theme: colours of a clip read true against it.
  painter.fillRect(rect(), QColor(0x12, 0x13, 0x15));
  if (image_.isNull()) {
    painter.setPen(QColor(0x8a, 0x8d, 0x94));
    painter.drawText(rect().adjusted(12, 12, -12, -12), Qt::AlignCenter | Qt::TextWordWrap,
                     placeholder_);
    return;
  }
  const QSize shown = displaySize(image_.size(), size());
  const QRect target(QPoint((width() - shown.width()) / 2, (height() - shown.height()) / 2), shown);
  painter.setRenderHint(QPainter::SmoothPixmapTransform, shown.width() < image_.width());
  painter.drawImage(target, image_);
}

}  // namespace svgen::ui
