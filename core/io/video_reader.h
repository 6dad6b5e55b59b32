// Reading clips back: for tests, and for restoring a run's settings from an exported file.
#pragma once
#include "core/io/video.h"

#include <string>

namespace svgen {

struct VideoFile {
  Video video;               // decoded to RGB24 at the file's coded size (MP4 padding included)
  std::string metadataJson;  // the settings written by exportVideo; empty when there are none
  double durationSeconds = 0;
  std::string codec;        // FFmpeg's names: "h264", "rawvideo" (Y4M), "png"
  std::string pixelFormat;  // "yuv420p", "yuv444p", "rgb24", ...
};

// Decodes a whole clip: MP4/MOV/M4V and still JPEG/WebP/BMP images as one frame (these need
// FFmpeg), a single PNG, Y4M (C444, C422, C420*, mono; 8 bit), or a
// PNG sequence pattern such as "frames/%04d.png" (from the first existing number in 0..4, like
// FFmpeg, up to the first gap; PNG has no frame rate, so video.fps keeps Video's default).
// Unknown or malformed files → InputError; I/O → RuntimeFailure.
VideoFile readVideo(const std::string& path);

// Only the embedded settings JSON, without decoding frames: the MP4 "svgen" (else "comment")
// tag, the Y4M sidecar, or the "svgen" text chunk of a PNG (a single .png file, or the first frame
// of a pattern). Empty when the file has none.
std::string readVideoMetadata(const std::string& path);

}  // namespace svgen
