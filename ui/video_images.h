// svgen::Video (plain RGB bytes) to QImage. Converting a clip costs real time for large videos, so
// callers do it on a worker thread and hand the images to the UI thread.
#pragma once
#include "core/io/video.h"

#include <QImage>
#include <QVector>

namespace svgen::ui {

QImage frameImage(const Video& video, int frame);

// The frame that stands for the whole clip in previews and thumbnails: the middle one.
QImage representativeFrame(const Video& video);

QVector<QImage> clipImages(const Video& video);

// The other way, for clips read back from image files: every frame at the first frame's size
// (others are scaled to it); empty frames give an empty Video.
Video videoFromImages(const QVector<QImage>& frames, double fps);

}  // namespace svgen::ui
