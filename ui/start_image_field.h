// The prompt panel's start image for image-to-video models: a thumbnail with the file's name and
// size, a button to choose a file and one to clear it, and a drop target for an image dragged from
// a file manager. The file is read here only to show it; the engine reads it again for the run.
#pragma once
#include <QImage>
#include <QRectF>
#include <QWidget>

class QLabel;
class QPushButton;

namespace svgen::ui {

class StartImageField : public QWidget {
  Q_OBJECT
 public:
  explicit StartImageField(QWidget* parent = nullptr);

  QString path() const { return path_; }
  // Shows the image at `path` ("" clears it); a file that cannot be read as an image is named as
  // such, and the path kept, so the run's own check says why it cannot run.
  void setPath(const QString& path);
  // The clip's size, for the note on how the image will be cropped.
  void setClipSize(int width, int height);
  // The model makes video from text alone too (TI2V): the empty field says the image is optional.
  void setOptional(bool optional);
  QString note() const;
  // The part of the image the clip keeps, in its pixels (empty until both sizes are known); the
  // thumbnail dims the rest.
  QRectF keptRect() const;

  // Image files the field takes (by suffix), for its file dialog and drops.
  static bool isImageFile(const QString& path);

 signals:
  void changed();

 protected:
  void dragEnterEvent(QDragEnterEvent* event) override;
  void dropEvent(QDropEvent* event) override;

 private:
  void choose();
  void updateNote();
  void updateThumbnail();
  QString path_;
  QImage picture_;  // the image scaled to the thumbnail
  QSize imageSize_;
  int clipWidth_ = 0, clipHeight_ = 0;
  bool optional_ = false;
  QLabel* thumbnail_;
  QLabel* note_;
  QPushButton* clear_;
};

}  // namespace svgen::ui
