#include "ui/video_images.h"

namespace svgen::ui {

QImage frameImage(const Video& video, int frame) {
  if (video.empty() || frame < 0 || frame >= video.frames) return {};
  const QImage view(video.frame(frame), video.width, video.height, video.width * 3,
                    QImage::Format_RGB888);
  // RGB32 is what the raster engine paints without converting on every repaint; the conversion
  // also detaches the image from the Video's buffer.
  return view.convertToFormat(QImage::Format_RGB32);
}

QImage representativeFrame(const Video& video) {
  return frameImage(video, video.frames / 2);
}

QVector<QImage> clipImages(const Video& video) {
  QVector<QImage> images;
  images.reserve(video.frames);
  for (int t = 0; t < video.frames; ++t) images.push_back(frameImage(video, t));
  return images;
}

}  // namespace svgen::ui
