#include "core/io/video_reader.h"

#include "core/common/error.h"
#include "core/io/video_io_internal.h"

#include <sys/stat.h>

#include <cctype>

namespace svgen {
namespace {

enum class Kind { Mp4, Y4m, PngSequence, PngFile };

Kind kindOf(const std::string& path, detail::FramePattern* pattern) {
  if (detail::parseFramePattern(path, pattern)) return Kind::PngSequence;
  const size_t dot = path.find_last_of('.');
  const size_t slash = path.find_last_of('/');
  std::string ext;
  if (dot != std::string::npos && (slash == std::string::npos || dot > slash))
    ext = path.substr(dot);
  for (char& c : ext) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (ext == ".y4m") return Kind::Y4m;
  if (ext == ".png") return Kind::PngFile;
  // FFmpeg reads still images as one-frame clips.
  for (const char* ffmpeg : {".mp4", ".mov", ".m4v", ".jpg", ".jpeg", ".webp", ".bmp"})
    if (ext == ffmpeg) return Kind::Mp4;
  throw InputError("cannot read '" + path +
                   "': expected .mp4, .mov, .m4v, .y4m, .png, .jpg, .webp, .bmp or a PNG pattern "
                   "such as frames/%04d.png");
}

#ifndef SVGEN_HAVE_FFMPEG
[[noreturn]] void noFfmpeg(const std::string& path) {
  throw InputError("this build has no FFmpeg, so it cannot read '" + path +
                   "': use .y4m or a PNG pattern");
}
#endif

}  // namespace

VideoFile readVideo(const std::string& path) {
  detail::FramePattern pattern;
  switch (kindOf(path, &pattern)) {
    case Kind::Y4m:
      return detail::readY4m(path);
    case Kind::PngSequence:
      return detail::readPngSequence(pattern);
    case Kind::PngFile:
      return detail::readPngFile(path);
    case Kind::Mp4:
#ifdef SVGEN_HAVE_FFMPEG
      return detail::readMp4(path);
#else
      noFfmpeg(path);
#endif
  }
  return {};
}

std::string readVideoMetadata(const std::string& path) {
  detail::FramePattern pattern;
  switch (kindOf(path, &pattern)) {
    case Kind::Y4m:
      return detail::readY4mMetadata(path);
    case Kind::PngSequence: {
      // The first frame that exists, numbered like readVideo looks for it.
      struct stat info;
      for (int i = 0; i < 5; ++i)
        if (::stat(pattern.format(i).c_str(), &info) == 0)
          return detail::readPngText(pattern.format(i));
      throw InputError("no frames match '" + pattern.format(1) + "' (numbers 0 to 4 were tried)");
    }
    case Kind::PngFile:
      return detail::readPngText(path);
    case Kind::Mp4:
#ifdef SVGEN_HAVE_FFMPEG
      return detail::readMp4Metadata(path);
#else
      noFfmpeg(path);
#endif
  }
  return "";
}

}  // namespace svgen
