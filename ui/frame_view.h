// Paints one frame as large as fits, centred. Small clips (a 128×128 built-in run) are enlarged by
// whole-number factors without smoothing so their pixels stay square and sharp; frames larger than
// the view are shrunk smoothly.
#pragma once
#include <QImage>
#include <QWidget>

namespace svgen::ui {

class FrameView : public QWidget {
  Q_OBJECT
 public:
  explicit FrameView(QWidget* parent = nullptr);

  void setImage(const QImage& image);
  const QImage& image() const { return image_; }
  // Shown while there is no image.
  void setPlaceholder(const QString& text);

  // Where an image of this size goes in a room of that size: the largest whole multiple that fits
  // when the image is smaller, otherwise the image shrunk to fit with its aspect ratio.
  static QSize displaySize(QSize image, QSize room);

  QSize sizeHint() const override { return {320, 240}; }

 protected:
  void paintEvent(QPaintEvent* event) override;

 private:
  QImage image_;
  QString placeholder_;
};

}  // namespace svgen::ui
