// YUV4MPEG2: the uncompressed format every FFmpeg build reads, so it is the export that always
// works (no FFmpeg in the build, GPU machines). Written as 4:4:4 with full-range BT.601 so the RGB
// round trip loses at most one level per channel.
#include "core/common/error.h"
#include "core/io/atomic_file.h"
#include "core/io/video_io_internal.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <memory>
#include <sstream>
#include <vector>

namespace svgen::detail {
namespace {

uint8_t clampByte(double v) {
  return static_cast<uint8_t>(std::min(255.0, std::max(0.0, std::round(v))));
}

void rgbToYuv444(const uint8_t* rgb, size_t pixels, uint8_t* y, uint8_t* u, uint8_t* v) {
  for (size_t i = 0; i < pixels; ++i) {
    const double r = rgb[3 * i], g = rgb[3 * i + 1], b = rgb[3 * i + 2];
    y[i] = clampByte(0.299 * r + 0.587 * g + 0.114 * b);
    u[i] = clampByte(128.0 - 0.168736 * r - 0.331264 * g + 0.5 * b);
    v[i] = clampByte(128.0 + 0.5 * r - 0.418688 * g - 0.081312 * b);
  }
}

struct FileCloser {
  void operator()(FILE* f) const { std::fclose(f); }
};
using FilePtr = std::unique_ptr<FILE, FileCloser>;

std::string sidecarPath(const std::string& path) {
  return path + ".json";
}

enum class Chroma { C444, C422, C420, Mono };

struct Y4mHeader {
  int width = 0;
  int height = 0;
  Rational rate{25, 1};  // the spec leaves F optional; 25 is what FFmpeg assumes
  Chroma chroma = Chroma::C420;
  bool alpha = false;
  bool fullRange = false;
  std::string pixelFormat = "yuv420p";
};

// Reads up to and including '\n'. Y4M header lines are short; a missing newline within 64 KiB
// means the file is not Y4M.
bool readLine(FILE* f, std::string* line) {
  line->clear();
  int c;
  while ((c = std::fgetc(f)) != EOF) {
    if (c == '\n') return true;
    line->push_back(static_cast<char>(c));
    if (line->size() > 65536) return false;
  }
  return false;
}

Y4mHeader parseHeader(const std::string& line, const std::string& path) {
  std::istringstream tokens(line);
  std::string token;
  tokens >> token;
  if (token != "YUV4MPEG2") throw InputError("'" + path + "' is not a Y4M file");
  Y4mHeader h;
  while (tokens >> token) {
    const char key = token[0];
    const std::string value = token.substr(1);
    if (key == 'W') {
      h.width = std::atoi(value.c_str());
    } else if (key == 'H') {
      h.height = std::atoi(value.c_str());
    } else if (key == 'F') {
      int num = 0, den = 0;
      if (std::sscanf(value.c_str(), "%d:%d", &num, &den) == 2 && num > 0 && den > 0)
        h.rate = {num, den};
    } else if (key == 'C') {
      if (value == "444") {
        h.chroma = Chroma::C444;
        h.pixelFormat = "yuv444p";
      } else if (value == "444alpha") {
        h.chroma = Chroma::C444;
        h.alpha = true;
        h.pixelFormat = "yuva444p";
      } else if (value == "422") {
        h.chroma = Chroma::C422;
        h.pixelFormat = "yuv422p";
      } else if (value == "420" || value == "420jpeg" || value == "420mpeg2" ||
                 value == "420paldv") {
        // The 4:2:0 variants differ only in chroma siting, which nearest-sample upsampling
        // ignores anyway.
        h.chroma = Chroma::C420;
        h.pixelFormat = "yuv420p";
      } else if (value == "mono") {
        h.chroma = Chroma::Mono;
        h.pixelFormat = "gray";
      } else {
        throw InputError("'" + path + "' uses Y4M colour space C" + value +
                         ", which is not supported (8-bit 444, 422, 420 and mono are)");
      }
    } else if (key == 'X') {
      if (value == "COLORRANGE=FULL") h.fullRange = true;
      if (value == "COLORRANGE=LIMITED") h.fullRange = false;
    }
    // I (interlacing) and A (aspect) do not change how the samples decode.
  }
  if (h.width <= 0 || h.height <= 0 || h.width > 16384 || h.height > 16384)
    throw InputError("'" + path + "' has an invalid Y4M frame size");
  return h;
}

void yuvToRgb(const Y4mHeader& h, const uint8_t* y, const uint8_t* u, const uint8_t* v,
              uint8_t* rgb) {
  const int cw = h.chroma == Chroma::C444 ? h.width : (h.width + 1) / 2;
  const int xShift = h.chroma == Chroma::C444 ? 0 : 1;
  const int yShift = h.chroma == Chroma::C420 ? 1 : 0;
  // Limited range stretches 16..235 (luma) and 16..240 (chroma) to full scale.
  const double ys = h.fullRange ? 1.0 : 255.0 / 219.0, yo = h.fullRange ? 0.0 : 16.0;
  const double cs = h.fullRange ? 1.0 : 255.0 / 224.0;
  for (int row = 0; row < h.height; ++row) {
    for (int col = 0; col < h.width; ++col) {
      const size_t i = static_cast<size_t>(row) * h.width + col;
      const double luma = (y[i] - yo) * ys;
      double cb = 0, cr = 0;
      if (h.chroma != Chroma::Mono) {
        const size_t c = static_cast<size_t>(row >> yShift) * cw + (col >> xShift);
        cb = (u[c] - 128.0) * cs;
        cr = (v[c] - 128.0) * cs;
      }
      rgb[3 * i] = clampByte(luma + 1.402 * cr);
      rgb[3 * i + 1] = clampByte(luma - 0.344136 * cb - 0.714136 * cr);
      rgb[3 * i + 2] = clampByte(luma + 1.772 * cb);
    }
  }
}

}  // namespace

void exportY4m(const Video& video, const std::string& path, const ExportOptions& options,
               const CancelFn& cancelled) {
  const Rational rate = fpsToRational(options.fps);
  AtomicFile file(path);
  FILE* out = file.stream();
  const std::string header = "YUV4MPEG2 W" + std::to_string(video.width) + " H" +
                             std::to_string(video.height) + " F" + std::to_string(rate.num) + ":" +
                             std::to_string(rate.den) + " Ip A1:1 C444 XCOLORRANGE=FULL\n";
  if (std::fwrite(header.data(), 1, header.size(), out) != header.size())
    throw RuntimeFailure(ioErrorMessage("cannot write", path, errno));

  const size_t pixels = static_cast<size_t>(video.width) * video.height;
  std::vector<uint8_t> planes(pixels * 3);
  static const char kFrame[] = "FRAME\n";
  for (int t = 0; t < video.frames; ++t) {
    if (cancelled && cancelled()) throw Cancelled();
    rgbToYuv444(video.frame(t), pixels, planes.data(), planes.data() + pixels,
                planes.data() + 2 * pixels);
    if (std::fwrite(kFrame, 1, sizeof kFrame - 1, out) != sizeof kFrame - 1 ||
        std::fwrite(planes.data(), 1, planes.size(), out) != planes.size())
      throw RuntimeFailure(ioErrorMessage("cannot write", path, errno));
  }

  // Y4M parameters cannot hold spaces, so the settings live in a sidecar that is replaced together
  // with the clip: both temporaries are complete before either rename.
  const std::string sidecar = sidecarPath(path);
  std::unique_ptr<AtomicFile> meta;
  if (!options.metadataJson.empty()) {
    meta = std::make_unique<AtomicFile>(sidecar);
    FILE* m = meta->stream();
    const std::string& json = options.metadataJson;
    if (std::fwrite(json.data(), 1, json.size(), m) != json.size())
      throw RuntimeFailure(ioErrorMessage("cannot write", sidecar, errno));
  }
  if (meta)
    AtomicFile::commitAll({meta.get(), &file}, cancelled);
  else
    file.commit(cancelled);
  // A sidecar left from an earlier export would describe a different run.
  if (!meta && ::unlink(sidecar.c_str()) != 0 && errno != ENOENT)
    throw RuntimeFailure(ioErrorMessage("cannot remove the old settings file", sidecar, errno));
}

VideoFile readY4m(const std::string& path) {
  FilePtr f(std::fopen(path.c_str(), "rb"));
  if (!f) {
    if (errno == ENOENT) throw InputError(ioErrorMessage("cannot open", path, errno));
    throw RuntimeFailure(ioErrorMessage("cannot open", path, errno));
  }
  std::string line;
  if (!readLine(f.get(), &line)) throw InputError("'" + path + "' is not a Y4M file");
  const Y4mHeader h = parseHeader(line, path);

  const size_t lumaBytes = static_cast<size_t>(h.width) * h.height;
  size_t chromaBytes = 0;
  switch (h.chroma) {
    case Chroma::C444:
      chromaBytes = lumaBytes;
      break;
    case Chroma::C422:
      chromaBytes = static_cast<size_t>((h.width + 1) / 2) * h.height;
      break;
    case Chroma::C420:
      chromaBytes = static_cast<size_t>((h.width + 1) / 2) * ((h.height + 1) / 2);
      break;
    case Chroma::Mono:
      chromaBytes = 0;
      break;
  }
  const size_t frameBytes = lumaBytes + 2 * chromaBytes + (h.alpha ? lumaBytes : 0);

  VideoFile result;
  Video& video = result.video;
  video.width = h.width;
  video.height = h.height;
  video.fps = static_cast<double>(h.rate.num) / h.rate.den;
  std::vector<uint8_t> planes(frameBytes);
  while (readLine(f.get(), &line)) {
    if (line.compare(0, 5, "FRAME") != 0)
      throw InputError("'" + path + "' is damaged: frame " + std::to_string(video.frames + 1) +
                       " has no FRAME marker");
    if (std::fread(planes.data(), 1, frameBytes, f.get()) != frameBytes) {
      if (std::ferror(f.get())) throw RuntimeFailure(ioErrorMessage("cannot read", path, errno));
      throw InputError("'" + path + "' is truncated in frame " + std::to_string(video.frames + 1));
    }
    video.rgb.resize(video.rgb.size() + lumaBytes * 3);
    const uint8_t* y = planes.data();
    yuvToRgb(h, y, y + lumaBytes, y + lumaBytes + chromaBytes,
             video.rgb.data() + video.rgb.size() - lumaBytes * 3);
    ++video.frames;
  }
  if (std::ferror(f.get())) throw RuntimeFailure(ioErrorMessage("cannot read", path, errno));
  if (!line.empty()) throw InputError("'" + path + "' ends inside a frame header");

  readFileIfExists(sidecarPath(path), &result.metadataJson);
  result.durationSeconds = video.frames / video.fps;
  result.codec = "rawvideo";
  result.pixelFormat = h.pixelFormat;
  return result;
}

std::string readY4mMetadata(const std::string& path) {
  struct stat info;
  if (::stat(path.c_str(), &info) != 0)
    throw InputError(ioErrorMessage("cannot open", path, errno));
  std::string json;
  readFileIfExists(sidecarPath(path), &json);
  return json;
}

}  // namespace svgen::detail
