// Shared between the per-format writers and readers in core/io; not part of the public API.
#pragma once
#include "core/io/video_export.h"
#include "core/io/video_reader.h"

#include <functional>
#include <string>

namespace svgen::detail {

struct Rational {
  int num = 0;
  int den = 1;
};

// Exact for integer rates and the NTSC family (N·1000/1001); otherwise the closest fraction with
// a denominator up to 1001.
Rational fpsToRational(double fps);

// Checks the clip's shape against its byte count and the fps; throws InputError.
void validateClip(const Video& video, double fps);

// A PNG sequence pattern split around its one frame-number conversion.
struct FramePattern {
  std::string prefix;  // folder and the name up to '%'
  std::string suffix;  // after the conversion, e.g. ".png"
  int width = 0;       // minimum digits
  bool zeroPad = false;
  std::string format(int index) const;
  std::string folder() const;  // "" for the current folder
  // True when `fileName` (no folder) is a frame this pattern names, whatever its number.
  bool matches(const std::string& fileName) const;
};
// False when `path` has no frame-number conversion in its file name; throws InputError for
// malformed ones (two conversions, a conversion in the folder part, unsupported specifiers).
bool parseFramePattern(const std::string& path, FramePattern* out);

using CancelFn = std::function<bool()>;

void exportY4m(const Video& video, const std::string& path, const ExportOptions& options,
               const CancelFn& cancelled);
VideoFile readY4m(const std::string& path);
std::string readY4mMetadata(const std::string& path);  // the sidecar, or ""

void exportPngSequence(const Video& video, const FramePattern& pattern,
                       const ExportOptions& options, const CancelFn& cancelled);
// What exportPngSequence would refuse, checked without writing: see checkExportTarget.
void checkPngTarget(const FramePattern& pattern, const ExportOptions& options);
VideoFile readPngSequence(const FramePattern& pattern);
VideoFile readPngFile(const std::string& path);
std::string readPngText(const std::string& path);  // the "svgen" text chunk, or ""

#ifdef SVGEN_HAVE_FFMPEG
void exportMp4(const Video& video, const std::string& path, const ExportOptions& options,
               const CancelFn& cancelled);
VideoFile readMp4(const std::string& path);
std::string readMp4Metadata(const std::string& path);
#endif

}  // namespace svgen::detail
