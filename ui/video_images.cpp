#include "ui/video_images.h"

#include <algorithm>

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

Video videoFromImages(const QVector<QImage>& frames, double fps) {
  Video video;
  if (frames.isEmpty() || frames.first().isNull()) return video;
  const QSize size = frames.first().size();
  video.frames = frames.size();
  video.width = size.width();
  video.height = size.height();
  video.fps = fps;
  video.rgb.resize(video.frameBytes() * video.frames);
  for (int t = 0; t < video.frames; ++t) {
    QImage rgb = frames[t].size() == size ? frames[t] : frames[t].scaled(size);
    rgb = rgb.convertToFormat(QImage::Format_RGB888);
    for (int y = 0; y < size.height(); ++y)
      std::copy_n(rgb.constScanLine(y), size_t(size.width()) * 3,
                  video.frame(t) + size_t(y) * size.width() * 3);
  }
  return video;
}

}  // namespace svgen::ui
