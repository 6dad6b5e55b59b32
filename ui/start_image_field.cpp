#include "ui/start_image_field.h"

#include <QDragEnterEvent>
#include <QDropEvent>
#include <QFileDialog>
#include <QFileInfo>
#include <QHBoxLayout>
#include <QImageReader>
#include <QLabel>
#include <QMimeData>
#include <QPainter>
#include <QPainterPath>
#include <QPushButton>
#include <QUrl>
#include <QVBoxLayout>

#include <cmath>

namespace svgen::ui {

namespace {

constexpr int kThumbnailHeight = 72;

QString droppedImage(const QMimeData* mime) {
  if (!mime || !mime->hasUrls() || mime->urls().size() != 1) return {};
  const QString path = mime->urls().first().toLocalFile();
  return StartImageField::isImageFile(path) ? path : QString();
}

}  // namespace

StartImageField::StartImageField(QWidget* parent) : QWidget(parent) {
  setObjectName("startImage");
  setAcceptDrops(true);
  thumbnail_ = new QLabel(this);
  thumbnail_->setObjectName("startImageThumbnail");
  thumbnail_->setFixedSize(kThumbnailHeight * 16 / 9, kThumbnailHeight);
  thumbnail_->setAlignment(Qt::AlignCenter);
  thumbnail_->setFrameShape(QFrame::StyledPanel);
  note_ = new QLabel(this);
  note_->setObjectName("startImageNote");
  note_->setWordWrap(true);
  note_->setTextFormat(Qt::PlainText);
  auto* choose = new QPushButton(tr("Choose…"), this);
  choose->setObjectName("chooseStartImage");
  clear_ = new QPushButton(tr("Clear"), this);
  clear_->setObjectName("clearStartImage");
  auto* buttons = new QHBoxLayout;
  buttons->addWidget(choose);
  buttons->addWidget(clear_);
  buttons->addStretch(1);
  auto* text = new QVBoxLayout;
  text->addWidget(note_);
  text->addLayout(buttons);
  auto* row = new QHBoxLayout(this);
  row->setContentsMargins(0, 0, 0, 0);
  row->addWidget(thumbnail_);
  row->addLayout(text, 1);
  setToolTip(
      tr("The clip starts from this image: choose a file or drop one here. It is scaled "
         "to cover the clip's size and cropped in the middle, never stretched."));
  connect(choose, &QPushButton::clicked, this, &StartImageField::choose);
  connect(clear_, &QPushButton::clicked, this, [this] {
    setPath({});
    emit changed();
  });
  setPath({});
}

bool StartImageField::isImageFile(const QString& path) {
  const QString suffix = QFileInfo(path).suffix().toLower();
  return suffix == "png" || suffix == "jpg" || suffix == "jpeg" || suffix == "webp" ||
         suffix == "bmp";
}

void StartImageField::setPath(const QString& path) {
  path_ = path;
  imageSize_ = {};
  clear_->setEnabled(!path.isEmpty());
  picture_ = {};
  if (path.isEmpty()) {
    thumbnail_->setPixmap({});
    thumbnail_->setText(tr("no image"));
  } else {
    QImageReader reader(path);
    reader.setAutoTransform(true);
    const QImage image = reader.read();
    if (image.isNull()) {
      thumbnail_->setPixmap({});
      thumbnail_->setText(tr("unreadable"));
    } else {
      imageSize_ = image.size();
      picture_ = image.scaled(thumbnail_->size(), Qt::KeepAspectRatio, Qt::SmoothTransformation);
    }
  }
  updateNote();
}

QRectF StartImageField::keptRect() const {
  // What fitStartImage keeps: the largest centred crop of the clip's shape, in image pixels.
  if (!imageSize_.isValid() || clipWidth_ <= 0 || clipHeight_ <= 0) return {};
  const double clip = static_cast<double>(clipWidth_) / clipHeight_;
  const double w = imageSize_.width(), h = imageSize_.height();
  const bool wider = w / h > clip;
  const double keptW = wider ? h * clip : w, keptH = wider ? h : w / clip;
  return {(w - keptW) / 2, (h - keptH) / 2, keptW, keptH};
}

void StartImageField::updateThumbnail() {
  if (picture_.isNull()) return;
  // The part the crop drops is dimmed, so the picture shows what the clip starts from.
  QImage shown = picture_.convertToFormat(QImage::Format_RGB32);
  const QRectF kept = keptRect();
  if (kept.isValid()) {
    const double scale = static_cast<double>(shown.width()) / imageSize_.width();
    const QRectF inThumb(kept.x() * scale, kept.y() * scale, kept.width() * scale,
                         kept.height() * scale);
    QPainter paint(&shown);
    QPainterPath outside;
    outside.addRect(QRectF(shown.rect()));
    outside.addRect(inThumb);
    paint.fillPath(outside, QColor(0, 0, 0, 150));
    paint.setPen(QPen(QColor(255, 255, 255, 200), 1));
    paint.drawRect(inThumb.adjusted(0, 0, -1, -1));
  }
  thumbnail_->setPixmap(QPixmap::fromImage(shown));
}

void StartImageField::setOptional(bool optional) {
  optional_ = optional;
  updateNote();
}

void StartImageField::setClipSize(int width, int height) {
  clipWidth_ = width;
  clipHeight_ = height;
  updateNote();
}

QString StartImageField::note() const {
  return note_->text();
}

void StartImageField::updateNote() {
  if (path_.isEmpty()) {
    note_->setText(optional_ ? tr("Optional: without an image the clip comes from the prompt "
                                  "alone. Choose one to start from, or drop one here.")
                             : tr("Choose the image the clip starts from, or drop one here."));
    return;
  }
  const QString name = QFileInfo(path_).fileName();
  if (!imageSize_.isValid()) {
    note_->setText(tr("%1 cannot be read as an image").arg(name));
    return;
  }
  updateThumbnail();
  QString text = tr("%1, %2×%3").arg(name).arg(imageSize_.width()).arg(imageSize_.height());
  if (clipWidth_ > 0 && clipHeight_ > 0) {
    // What the engine's fit keeps: the largest centred crop of the clip's shape.
    const double clip = static_cast<double>(clipWidth_) / clipHeight_;
    const double image = static_cast<double>(imageSize_.width()) / imageSize_.height();
    if (std::abs(image / clip - 1) < 0.01)
      text += tr(": fills the clip");
    else if (image > clip)
      text += tr(": its sides are cropped to fit %1×%2").arg(clipWidth_).arg(clipHeight_);
    else
      text += tr(": its top and bottom are cropped to fit %1×%2").arg(clipWidth_).arg(clipHeight_);
  }
  note_->setText(text);
}

void StartImageField::choose() {
  const QString start = path_.isEmpty() ? QString() : QFileInfo(path_).absolutePath();
  const QString path = QFileDialog::getOpenFileName(this, tr("Start image"), start,
                                                    tr("Images (*.png *.jpg *.jpeg *.webp *.bmp)"));
  if (path.isEmpty()) return;
  setPath(path);
  emit changed();
}

void StartImageField::dragEnterEvent(QDragEnterEvent* event) {
  if (!droppedImage(event->mimeData()).isEmpty()) event->acceptProposedAction();
}

void StartImageField::dropEvent(QDropEvent* event) {
  const QString path = droppedImage(event->mimeData());
  if (path.isEmpty()) return;
  setPath(path);
  event->acceptProposedAction();
  emit changed();
}

}  // namespace svgen::ui
