// Writing a generated clip to disk: MP4 (H.264 through FFmpeg), Y4M (always available) or a
// numbered PNG sequence. Every format writes to a temporary beside the target and renames it into
// place only after a complete write, so a cancel or an I/O error never leaves a partial file.
#pragma once
#include "core/io/video.h"

#include <functional>
#include <string>

namespace svgen {

enum class VideoFormat { Mp4, Y4m, PngSequence };

struct ExportOptions {
  int crf = 18;              // H.264 constant rate factor, 0 (lossless, High 4:4:4 profile) to 51
  double fps = 0;            // 0: use video.fps
  std::string metadataJson;  // run settings; embedded so the clip can restore them
  // PNG sequences: a folder that already holds frames of the pattern (or a settings.json) is
  // refused unless this is set; then those are replaced as a whole, so no older frame outlives
  // the export.
  bool replaceFrames = false;
};

// A path with a printf-style frame number (%d, %Nd or %0Nd) in its file name → PngSequence;
// .mp4/.mov/.m4v → Mp4; .y4m → Y4m (case-insensitive). Anything else → InputError listing the
// accepted forms. Does not check whether this build can write MP4.
VideoFormat videoFormatForPath(const std::string& path);

// False when built without FFmpeg: then only Y4M and PNG sequences can be written.
bool mp4ExportAvailable();

// Everything about `path` that would make exportVideo refuse, checked before any work (a command
// calls it before a run of minutes): the format, FFmpeg for MP4, a missing, unwritable or
// file-in-the-way folder, a target that is (or links to) a folder or a device, a PNG folder with
// an earlier export's frames. InputError naming `what` (the option, or "output").
void checkExportTarget(const std::string& path, const ExportOptions& options,
                       const std::string& what = "output");

// Writes the clip in the format its path names.
//  - MP4: H.264 yuv420p, BT.709 limited range, `crf` from options, +faststart. Odd widths or
//    heights are padded to even by repeating the last column/row (4:2:0 needs even sizes), so
//    the file is up to one pixel wider/taller than the clip. The settings JSON is stored twice in
//    the container: as "comment" (shown by players) and as the custom key "svgen".
//  - Y4M: C444 (no chroma loss), BT.601 full range (tagged XCOLORRANGE=FULL so FFmpeg reads it
//    right); round trip within 1 level per channel. Settings go to the sidecar `path + ".json"`.
//  - PNG sequence: frames numbered from 1, like FFmpeg's image2 muxer, so
//    `ffmpeg -i frames/%04d.png` reads them back. The folder is created when missing. Each frame
//    carries the settings as a text chunk "svgen" (tEXt, or iTXt when not plain ASCII) and they
//    are also written to `settings.json` in the folder. Frames are written into a hidden folder
//    first and moved in at the end. A folder holding an earlier export's frames is refused unless
//    options.replaceFrames, which then removes the frames this export does not overwrite; other
//    files are never touched.
//  - A target that is a link is written through (core/io/atomic_file.h). A cancel or signal
//    before the final renames leaves whatever was there before; stale temporaries of killed runs
//    are removed by the next export to the same place.
// `cancelled` (may be empty) is polled before each frame; when it returns true the partial output
// is removed and Cancelled is thrown. Bad clip, path or options → InputError; I/O or encoder
// failures → RuntimeFailure with the path and the system's reason.
void exportVideo(const Video& video, const std::string& path, const ExportOptions& options,
                 const std::function<bool()>& cancelled = {});

}  // namespace svgen
