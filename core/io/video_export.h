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
};

// A path with a printf-style frame number (%d, %Nd or %0Nd) in its file name → PngSequence;
// .mp4/.mov/.m4v → Mp4; .y4m → Y4m (case-insensitive). Anything else → InputError listing the
// accepted forms. Does not check whether this build can write MP4.
VideoFormat videoFormatForPath(const std::string& path);

// False when built without FFmpeg: then only Y4M and PNG sequences can be written.
bool mp4ExportAvailable();

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
//    first and moved in at the end; files already there that this export does not replace are
//    left alone.
// `cancelled` (may be empty) is polled before each frame; when it returns true the partial output
// is removed and Cancelled is thrown. Bad clip, path or options → InputError; I/O or encoder
// failures → RuntimeFailure with the path and the system's reason.
void exportVideo(const Video& video, const std::string& path, const ExportOptions& options,
                 const std::function<bool()>& cancelled = {});

}  // namespace svgen
