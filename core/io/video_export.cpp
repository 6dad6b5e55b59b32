#include "core/io/video_export.h"

#include "core/common/error.h"
#include "core/io/atomic_file.h"
#include "core/io/video_io_internal.h"

#include <cctype>
#include <cmath>
#include <cstdlib>
#include <limits>

namespace svgen {
namespace detail {

Rational fpsToRational(double fps) {
  const double rounded = std::round(fps);
  if (std::fabs(fps - rounded) < 1e-6) return {static_cast<int>(rounded), 1};
  const double ntsc = fps * 1001.0 / 1000.0;
  if (std::fabs(ntsc - std::round(ntsc)) < 1e-6)
    return {static_cast<int>(std::round(ntsc)) * 1000, 1001};
  Rational best{static_cast<int>(rounded), 1};
  double bestError = std::fabs(fps - rounded);
  for (int den = 2; den <= 1001 && bestError > 1e-9; ++den) {
    const double num = std::round(fps * den);
    const double error = std::fabs(fps - num / den);
    if (error < bestError - 1e-12) {
      bestError = error;
      best = {static_cast<int>(num), den};
    }
  }
  return best;
}

void validateClip(const Video& video, double fps) {
  if (video.frames <= 0 || video.width <= 0 || video.height <= 0)
    throw InputError("cannot export an empty clip (" + std::to_string(video.frames) +
                     " frames of " + std::to_string(video.width) + "x" +
                     std::to_string(video.height) + ")");
  // 16384 is well past any model output and keeps every size product far from overflow.
  if (video.width > 16384 || video.height > 16384)
    throw InputError("frame size " + std::to_string(video.width) + "x" +
                     std::to_string(video.height) + " is too large to export (max 16384)");
  const size_t expected = video.frameBytes() * static_cast<size_t>(video.frames);
  if (video.rgb.size() != expected)
    throw InputError("clip holds " + std::to_string(video.rgb.size()) + " bytes but " +
                     std::to_string(video.frames) + " frames of " + std::to_string(video.width) +
                     "x" + std::to_string(video.height) + " RGB need " + std::to_string(expected));
  if (!std::isfinite(fps) || fps <= 0 || fps > 1000)
    throw InputError("frame rate " + std::to_string(fps) + " is out of range (0, 1000]");
}

std::string FramePattern::format(int index) const {
  std::string digits = std::to_string(index);
  if (static_cast<int>(digits.size()) < width)
    digits.insert(0, static_cast<size_t>(width) - digits.size(), zeroPad ? '0' : ' ');
  return prefix + digits + suffix;
}

std::string FramePattern::folder() const {
  const size_t slash = prefix.find_last_of('/');
  return slash == std::string::npos ? std::string() : prefix.substr(0, slash + 1);
}

bool FramePattern::matches(const std::string& fileName) const {
  const size_t slash = prefix.find_last_of('/');
  const std::string head = slash == std::string::npos ? prefix : prefix.substr(slash + 1);
  if (fileName.size() <= head.size() + suffix.size()) return false;
  if (fileName.compare(0, head.size(), head) != 0 ||
      fileName.compare(fileName.size() - suffix.size(), suffix.size(), suffix) != 0)
    return false;
  const std::string number =
      fileName.substr(head.size(), fileName.size() - head.size() - suffix.size());
  // printf pads with spaces when the width has no leading zero.
  const size_t digits = number.find_first_not_of(' ');
  if (digits == std::string::npos) return false;
  for (size_t i = digits; i < number.size(); ++i)
    if (!std::isdigit(static_cast<unsigned char>(number[i]))) return false;
  return true;
}

bool parseFramePattern(const std::string& path, FramePattern* out) {
  const size_t nameStart = path.find_last_of('/') + 1;  // npos + 1 == 0
  FramePattern pattern;
  bool found = false;
  std::string literal;  // the text before/after the conversion, with %% unescaped
  for (size_t i = 0; i < path.size(); ++i) {
    if (path[i] != '%') {
      literal += path[i];
      continue;
    }
    if (i + 1 < path.size() && path[i + 1] == '%') {  // printf's escaped percent sign
      literal += '%';
      ++i;
      continue;
    }
    size_t j = i + 1;
    bool zero = false;
    if (j < path.size() && path[j] == '0') {
      zero = true;
      ++j;
    }
    const size_t digitsStart = j;
    while (j < path.size() && std::isdigit(static_cast<unsigned char>(path[j]))) ++j;
    if (j >= path.size() || path[j] != 'd') {
      // A lone percent sign ("100%.mp4") is an ordinary character, not a frame number.
      literal += '%';
      continue;
    }
    if (i < nameStart)
      throw InputError("frame number '%d' must be in the file name, not the folder: '" + path +
                       "'");
    if (found) throw InputError("PNG pattern '" + path + "' has more than one frame number (%d)");
    const int width =
        digitsStart == j ? 0 : std::atoi(path.substr(digitsStart, j - digitsStart).c_str());
    if (width > 10) throw InputError("frame number width in '" + path + "' is over 10 digits");
    found = true;
    pattern.prefix = literal;
    pattern.width = width;
    pattern.zeroPad = zero;
    literal.clear();
    i = j;
  }
  if (!found) return false;
  pattern.suffix = literal;
  if (out) *out = pattern;
  return true;
}

}  // namespace detail

namespace {

std::string lowerExtension(const std::string& path) {
  const size_t slash = path.find_last_of('/');
  const size_t dot = path.find_last_of('.');
  if (dot == std::string::npos || (slash != std::string::npos && dot < slash)) return "";
  std::string ext = path.substr(dot);
  for (char& c : ext) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return ext;
}

const char kAccepted[] =
    "use .mp4, .mov or .m4v (H.264), .y4m (uncompressed), or a PNG pattern such as "
    "frames/%04d.png";

}  // namespace

VideoFormat videoFormatForPath(const std::string& path) {
  if (detail::parseFramePattern(path, nullptr)) {
    if (lowerExtension(path) != ".png")
      throw InputError("frame pattern '" + path + "' must end in .png (" + kAccepted + ")");
    return VideoFormat::PngSequence;
  }
  const std::string ext = lowerExtension(path);
  if (ext == ".mp4" || ext == ".mov" || ext == ".m4v") return VideoFormat::Mp4;
  if (ext == ".y4m") return VideoFormat::Y4m;
  if (ext == ".png")
    throw InputError("'" + path + "' is a single PNG; a clip needs a frame number: " + kAccepted);
  throw InputError("cannot tell the video format of '" + path + "': " + kAccepted);
}

bool mp4ExportAvailable() {
#ifdef SVGEN_HAVE_FFMPEG
  return true;
#else
  return false;
#endif
}

void checkExportTarget(const std::string& path, const ExportOptions& options,
                       const std::string& what) {
  switch (videoFormatForPath(path)) {
    case VideoFormat::Mp4:
      if (!mp4ExportAvailable())
        throw InputError("this build has no FFmpeg, so it cannot write '" + path +
                         "': export to .y4m or a PNG pattern such as frames/%04d.png");
      checkOutputFile(path, what);
      return;
    case VideoFormat::Y4m:
      checkOutputFile(path, what);
      if (!options.metadataJson.empty()) checkOutputFile(path + ".json", "settings file");
      return;
    case VideoFormat::PngSequence: {
      detail::FramePattern pattern;
      detail::parseFramePattern(path, &pattern);
      try {
        detail::checkPngTarget(pattern, options);
      } catch (const InputError& e) {
        throw InputError(what + ": " + e.what());
      }
      return;
    }
  }
}

void exportVideo(const Video& video, const std::string& path, const ExportOptions& options,
                 const std::function<bool()>& cancelled) {
  checkExportTarget(path, options);
  const VideoFormat format = videoFormatForPath(path);
  if (std::isnan(options.fps) || options.fps < 0)
    throw InputError("export frame rate must be positive (or 0 for the clip's own)");
  const double fps = options.fps > 0 ? options.fps : video.fps;
  detail::validateClip(video, fps);
  if (format == VideoFormat::Mp4 && (options.crf < 0 || options.crf > 51))
    throw InputError("CRF " + std::to_string(options.crf) + " is out of range 0-51");
  if (cancelled && cancelled()) throw Cancelled();

  ExportOptions resolved = options;
  resolved.fps = fps;
  switch (format) {
    case VideoFormat::Mp4:
#ifdef SVGEN_HAVE_FFMPEG
      detail::exportMp4(video, path, resolved, cancelled);
      return;
#else
      throw InputError("this build has no FFmpeg, so it cannot write '" + path +
                       "': export to .y4m or a PNG pattern such as frames/%04d.png");
#endif
    case VideoFormat::Y4m:
      detail::exportY4m(video, path, resolved, cancelled);
      return;
    case VideoFormat::PngSequence: {
      detail::FramePattern pattern;
      detail::parseFramePattern(path, &pattern);
      detail::exportPngSequence(video, pattern, resolved, cancelled);
      return;
    }
  }
}

}  // namespace svgen
