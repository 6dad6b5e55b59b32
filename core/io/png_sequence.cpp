// Numbered PNG frames: lossless, readable by every tool, and the one export that needs neither
// FFmpeg nor a video player. libpng reports errors by longjmp, so each libpng call sequence lives
// in a small function whose C++ objects are all set up before setjmp.
#include "core/common/error.h"
#include "core/io/atomic_file.h"
#include "core/io/pending_outputs.h"
#include "core/io/video_io_internal.h"

#ifdef SVGEN_HAVE_PNG
#include <png.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <csetjmp>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <vector>

namespace fs = std::filesystem;

namespace svgen::detail {
namespace {

const char kTextKey[] = "svgen";
const char kSettingsName[] = "settings.json";
const std::string kStagingPrefix = ".svgen-frames.tmp-";

// Where libpng's error callback leaves its message (and the errno of a failed fwrite) before
// jumping back.
struct PngError {
  char message[256] = {0};
  int err = 0;
};

void onPngError(png_structp png, png_const_charp message) {
  auto* error = static_cast<PngError*>(png_get_error_ptr(png));
  error->err = errno;
  std::snprintf(error->message, sizeof error->message, "%s", message);
  png_longjmp(png, 1);
}

void onPngWarning(png_structp, png_const_charp) {}

bool isAscii(const std::string& s) {
  for (unsigned char c : s)
    if (c >= 0x80) return false;
  return true;
}

// Returns false with `error` filled when libpng fails.
bool writePng(FILE* fp, const uint8_t* rgb, int width, int height, const std::string& text,
              PngError* error) {
  png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, error, onPngError, onPngWarning);
  if (!png) {
    std::snprintf(error->message, sizeof error->message, "out of memory");
    return false;
  }
  png_infop info = png_create_info_struct(png);
  std::vector<png_bytep> rows(static_cast<size_t>(height));
  for (int r = 0; r < height; ++r)
    rows[r] = const_cast<png_bytep>(rgb + static_cast<size_t>(r) * width * 3);
  // tEXt is Latin-1 by definition; JSON with non-ASCII prompt text goes to the UTF-8 iTXt chunk.
  png_text chunk;
  std::memset(&chunk, 0, sizeof chunk);
  chunk.compression = isAscii(text) ? PNG_TEXT_COMPRESSION_NONE : PNG_ITXT_COMPRESSION_NONE;
  chunk.key = const_cast<png_charp>(kTextKey);
  chunk.text = const_cast<png_charp>(text.c_str());
  if (chunk.compression == PNG_TEXT_COMPRESSION_NONE)
    chunk.text_length = text.size();
  else
    chunk.itxt_length = text.size();

  if (!info || setjmp(png_jmpbuf(png))) {
    if (!info) std::snprintf(error->message, sizeof error->message, "out of memory");
    png_destroy_write_struct(&png, &info);
    return false;
  }
  png_init_io(png, fp);
  png_set_IHDR(png, info, width, height, 8, PNG_COLOR_TYPE_RGB, PNG_INTERLACE_NONE,
               PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
  // Before IDAT, so readers that stop after the header (readVideoMetadata) still see it.
  if (!text.empty()) png_set_text(png, info, &chunk, 1);
  png_write_info(png, info);
  png_write_image(png, rows.data());
  png_write_end(png, info);
  png_destroy_write_struct(&png, &info);
  return true;
}

struct PngImage {
  int width = 0;
  int height = 0;
  std::vector<uint8_t> rgb;
  std::string text;
  bool hasText = false;
};

void collectText(png_structp png, png_infop info, PngImage* image) {
  png_textp texts = nullptr;
  int count = 0;
  png_get_text(png, info, &texts, &count);
  for (int i = 0; i < count && !image->hasText; ++i) {
    if (std::strcmp(texts[i].key, kTextKey) != 0) continue;
    const size_t length = texts[i].compression > 0 ? texts[i].itxt_length : texts[i].text_length;
    image->text.assign(texts[i].text ? texts[i].text : "", length);
    image->hasText = true;
  }
}

// Decodes any PNG to 8-bit RGB (or only its pre-image text when `headerOnly`).
bool readPng(FILE* fp, bool headerOnly, PngImage* image, PngError* error) {
  png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, error, onPngError, onPngWarning);
  if (!png) {
    std::snprintf(error->message, sizeof error->message, "out of memory");
    return false;
  }
  png_infop info = png_create_info_struct(png);
  if (!info || setjmp(png_jmpbuf(png))) {
    if (!info) std::snprintf(error->message, sizeof error->message, "out of memory");
    png_destroy_read_struct(&png, &info, nullptr);
    return false;
  }
  png_init_io(png, fp);
  // A damaged or hostile header must not make us allocate gigabytes.
  png_set_user_limits(png, 16384, 16384);
  png_read_info(png, info);
  collectText(png, info, image);
  if (headerOnly) {
    png_destroy_read_struct(&png, &info, nullptr);
    return true;
  }
  png_set_expand(png);
  png_set_strip_16(png);
  png_set_strip_alpha(png);
  png_set_gray_to_rgb(png);
  const int passes = png_set_interlace_handling(png);
  png_read_update_info(png, info);
  // Everything written after setjmp lives behind `image`, so nothing is lost in a register when
  // libpng jumps back.
  image->width = static_cast<int>(png_get_image_width(png, info));
  image->height = static_cast<int>(png_get_image_height(png, info));
  image->rgb.resize(static_cast<size_t>(image->width) * image->height * 3);
  for (int pass = 0; pass < passes; ++pass)
    for (int r = 0; r < image->height; ++r)
      png_read_row(png, image->rgb.data() + static_cast<size_t>(r) * image->width * 3, nullptr);
  png_read_end(png, info);
  collectText(png, info, image);
  png_destroy_read_struct(&png, &info, nullptr);
  return true;
}

PngImage loadPng(const std::string& path, bool headerOnly) {
  FILE* fp = std::fopen(path.c_str(), "rb");
  if (!fp) {
    if (errno == ENOENT) throw InputError(ioErrorMessage("cannot open", path, errno));
    throw RuntimeFailure(ioErrorMessage("cannot open", path, errno));
  }
  PngImage image;
  PngError error;
  const bool ok = readPng(fp, headerOnly, &image, &error);
  std::fclose(fp);
  if (!ok) throw InputError("cannot read PNG '" + path + "': " + error.message);
  return image;
}

void writeFrameFile(const std::string& path, const uint8_t* rgb, int width, int height,
                    const std::string& text) {
  FILE* fp = std::fopen(path.c_str(), "wb");
  if (!fp) throw RuntimeFailure(ioErrorMessage("cannot create", path, errno));
  PngError error;
  bool ok = writePng(fp, rgb, width, height, text, &error);
  int err = ok ? 0 : error.err;
  if (ok && (std::fflush(fp) != 0 || ::fsync(fileno(fp)) != 0)) {
    ok = false;
    err = errno;
  }
  if (std::fclose(fp) != 0 && ok) {
    ok = false;
    err = errno;
  }
  if (!ok) {
    if (err) throw RuntimeFailure(ioErrorMessage("cannot write", path, err));
    throw RuntimeFailure("cannot write PNG '" + path + "': " + error.message);
  }
}

// Removes what a failed or cancelled export made: the staging folder and any folders it had to
// create for the target, deepest first, and only while they are empty.
class StagingCleanup {
 public:
  std::string staging;
  std::vector<fs::path> createdFolders;  // outermost first
  bool committed = false;

  ~StagingCleanup() {
    std::error_code ec;
    if (!staging.empty()) fs::remove_all(staging, ec);
    if (committed) return;
    for (auto it = createdFolders.rbegin(); it != createdFolders.rend(); ++it)
      ::rmdir(it->c_str());  // fails harmlessly when something else now lives there
  }
};

fs::path framesFolder(const FramePattern& pattern) {
  const std::string folder = pattern.folder();
  fs::path path = folder.empty() ? fs::path(".") : fs::path(folder);
  if (!path.has_filename() && path.has_relative_path())
    path = path.parent_path();  // "frames/" → "frames", so it is created once
  return path;
}

// The frames of an earlier export in `folder`, sorted by name.
std::vector<std::string> earlierFrames(const fs::path& folder, const FramePattern& pattern) {
  std::vector<std::string> names;
  std::error_code ec;
  for (fs::directory_iterator it(folder, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (pattern.matches(name)) names.push_back(name);
  }
  std::sort(names.begin(), names.end());
  return names;
}

}  // namespace

void checkPngTarget(const FramePattern& pattern, const ExportOptions& options) {
  const fs::path folder = framesFolder(pattern);
  std::error_code ec;
  fs::path existing = folder;
  while (!fs::exists(existing, ec) && existing.has_parent_path() &&
         existing != existing.parent_path())
    existing = existing.parent_path();
  if (existing.empty() || !fs::exists(existing, ec)) existing = ".";
  checkWritableFolder(existing.string(), "cannot write frames into '" + folder.string() + "'");
  if (existing != folder || options.replaceFrames) return;
  const std::vector<std::string> earlier = earlierFrames(folder, pattern);
  if (!earlier.empty())
    throw InputError("folder '" + folder.string() + "' already holds " +
                     std::to_string(earlier.size()) + " frame(s) of an earlier export (" +
                     earlier.front() + (earlier.size() > 1 ? " to " + earlier.back() : "") +
                     "); choose an empty folder, or pass --replace-frames to replace them");
}

void exportPngSequence(const Video& video, const FramePattern& pattern,
                       const ExportOptions& options, const CancelFn& cancelled) {
  checkPngTarget(pattern, options);
  const fs::path folderPath = framesFolder(pattern);
  StagingCleanup cleanup;

  // Create missing folders one level at a time so a failure can undo exactly what it made.
  {
    std::vector<fs::path> missing;
    std::error_code ec;
    for (fs::path p = folderPath; !p.empty() && !fs::exists(p, ec); p = p.parent_path()) {
      missing.push_back(p);
      if (p == p.parent_path()) break;
    }
    for (auto it = missing.rbegin(); it != missing.rend(); ++it) {
      if (::mkdir(it->c_str(), 0777) != 0 && errno != EEXIST)
        throw RuntimeFailure(ioErrorMessage("cannot create folder", it->string(), errno));
      cleanup.createdFolders.push_back(*it);
    }
    if (!fs::is_directory(folderPath, ec))
      throw RuntimeFailure("cannot write frames into '" + folderPath.string() + "': not a folder");
  }

  // The pid in the name tells the next export whether the process that made it still runs.
  removeStaleTemporaries(folderPath.string(), kStagingPrefix);
  std::string stagingTemplate =
      (folderPath / (kStagingPrefix + std::to_string(::getpid()) + ".XXXXXX")).string();
  if (!::mkdtemp(stagingTemplate.data()))
    throw RuntimeFailure(
        ioErrorMessage("cannot create a staging folder in", folderPath.string(), errno));
  cleanup.staging = stagingTemplate;
  const PendingOutput pending(stagingTemplate, true);
  const fs::path staging(stagingTemplate);

  std::vector<std::string> names;
  names.reserve(static_cast<size_t>(video.frames));
  for (int t = 0; t < video.frames; ++t) {
    if (cancelled && cancelled()) throw Cancelled();
    // Numbered from 1 like FFmpeg's image2 muxer; its demuxer also finds a sequence starting at 1.
    const std::string name = fs::path(pattern.format(t + 1)).filename().string();
    writeFrameFile((staging / name).string(), video.frame(t), video.width, video.height,
                   options.metadataJson);
    names.push_back(name);
  }
  if (!options.metadataJson.empty()) {
    std::string stagedSettings = (staging / kSettingsName).string();
    FILE* f = std::fopen(stagedSettings.c_str(), "wb");
    if (!f) throw RuntimeFailure(ioErrorMessage("cannot create", stagedSettings, errno));
    const std::string& json = options.metadataJson;
    const bool wrote = std::fwrite(json.data(), 1, json.size(), f) == json.size() &&
                       std::fflush(f) == 0 && ::fsync(fileno(f)) == 0;
    const int err = errno;
    if (std::fclose(f) != 0 || !wrote)
      throw RuntimeFailure(ioErrorMessage("cannot write", stagedSettings, wrote ? errno : err));
    names.push_back(kSettingsName);
  }
  // Frames of an earlier export that this one does not overwrite go once the new ones are in.
  std::vector<std::string> stale;
  if (options.replaceFrames) {
    for (const std::string& name : earlierFrames(folderPath, pattern))
      if (std::find(names.begin(), names.end(), name) == names.end()) stale.push_back(name);
    if (options.metadataJson.empty()) stale.push_back(kSettingsName);
  }

  // Only renames and removals from here on: no data is written, so a full disk cannot strike
  // half-way, and a signal waits for the end of the section.
  CommitSection section;
  if (cancelled && cancelled()) throw Cancelled();
  cleanup.committed = true;
  for (const std::string& name : names) {
    const fs::path from = staging / name, to = folderPath / name;
    if (std::rename(from.c_str(), to.c_str()) != 0)
      throw RuntimeFailure(ioErrorMessage("cannot move a frame into place as", to.string(), errno));
  }
  for (const std::string& name : stale) {
    const fs::path path = folderPath / name;
    if (::unlink(path.c_str()) != 0 && errno != ENOENT)
      throw RuntimeFailure(ioErrorMessage("cannot remove the earlier frame", path.string(), errno));
  }
}

VideoFile readPngFile(const std::string& path) {
  PngImage image = loadPng(path, false);
  VideoFile result;
  result.video.frames = 1;
  result.video.width = image.width;
  result.video.height = image.height;
  result.video.rgb = std::move(image.rgb);
  result.metadataJson = std::move(image.text);
  result.durationSeconds = 1.0 / result.video.fps;
  result.codec = "png";
  result.pixelFormat = "rgb24";
  return result;
}

VideoFile readPngSequence(const FramePattern& pattern) {
  int first = -1;
  struct stat info;
  for (int i = 0; i < 5 && first < 0; ++i)
    if (::stat(pattern.format(i).c_str(), &info) == 0) first = i;
  if (first < 0)
    throw InputError("no frames match '" + pattern.format(1) + "' (numbers 0 to 4 were tried)");

  VideoFile result;
  Video& video = result.video;
  for (int i = first; ::stat(pattern.format(i).c_str(), &info) == 0; ++i) {
    PngImage image = loadPng(pattern.format(i), false);
    if (video.frames == 0) {
      video.width = image.width;
      video.height = image.height;
      result.metadataJson = image.text;
    } else if (image.width != video.width || image.height != video.height) {
      throw InputError("frame '" + pattern.format(i) + "' is " + std::to_string(image.width) + "x" +
                       std::to_string(image.height) + ", the first frame is " +
                       std::to_string(video.width) + "x" + std::to_string(video.height));
    }
    video.rgb.insert(video.rgb.end(), image.rgb.begin(), image.rgb.end());
    ++video.frames;
  }
  if (result.metadataJson.empty())
    readFileIfExists(pattern.folder() + kSettingsName, &result.metadataJson);
  // PNG carries no frame rate: the clip keeps Video's default.
  result.durationSeconds = video.frames / video.fps;
  result.codec = "png";
  result.pixelFormat = "rgb24";
  return result;
}

std::string readPngText(const std::string& path) {
  return loadPng(path, true).text;
}

}  // namespace svgen::detail

#else  // built without libpng: PNG sequences are refused with the reason

namespace svgen::detail {

namespace {
[[noreturn]] void noPng() {
  throw InputError(
      "this build has no libpng, so it cannot read or write PNG files; use .y4m or .mp4");
}
}  // namespace

void exportPngSequence(const Video&, const FramePattern&, const ExportOptions&, const CancelFn&) {
  noPng();
}
void checkPngTarget(const FramePattern&, const ExportOptions&) {
  noPng();
}
VideoFile readPngSequence(const FramePattern&) {
  noPng();
}
VideoFile readPngFile(const std::string&) {
  noPng();
}
std::string readPngText(const std::string&) {
  noPng();
}

}  // namespace svgen::detail

#endif
