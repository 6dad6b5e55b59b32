// Video export and read-back: every format round-trips, writes are all-or-nothing, and the run
// settings survive inside the file. Where the ffmpeg/ffprobe tools are installed, they check the
// files independently of our own readers.
#include "core/common/error.h"
#include "core/io/video_export.h"
#include "core/io/video_reader.h"
#include "tests/support/test_support.h"

#include <sys/resource.h>

#include <algorithm>
#include <cmath>
#include <csignal>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <random>
#include <set>
#include <string>
#include <vector>

#include <QProcess>
#include <QStandardPaths>
#include <QtTest>

namespace fs = std::filesystem;
using svgen::ExportOptions;
using svgen::Video;
using svgen::VideoFile;
using svgen::VideoFormat;
using svgen::test::entries;
using svgen::test::slurp;
using svgen::test::spit;

namespace {

// A moving square over a gradient, plus a bar whose length is the frame number, so every frame is
// different and colour, position and time errors all show.
Video syntheticClip(int frames, int width, int height, double fps) {
  Video video;
  video.frames = frames;
  video.width = width;
  video.height = height;
  video.fps = fps;
  video.rgb.resize(video.frameBytes() * frames);
  const int side = std::max(2, std::min(width, height) / 4);
  for (int t = 0; t < frames; ++t) {
    uint8_t* f = video.frame(t);
    const int x0 = (t * 3) % std::max(1, width - side);
    const int y0 = (t * 2) % std::max(1, height - side);
    for (int y = 0; y < height; ++y) {
      for (int x = 0; x < width; ++x) {
        uint8_t* p = f + (static_cast<size_t>(y) * width + x) * 3;
        p[0] = static_cast<uint8_t>(x * 255 / std::max(1, width - 1));
        p[1] = static_cast<uint8_t>(y * 255 / std::max(1, height - 1));
        p[2] = 96;
        if (x >= x0 && x < x0 + side && y >= y0 && y < y0 + side) {
          p[0] = 235;
          p[1] = static_cast<uint8_t>(40 + (t * 13) % 180);
          p[2] = 30;
        }
        if (y == height - 1 && x <= t) p[0] = p[1] = p[2] = 255;
      }
    }
  }
  return video;
}

// Random pixels compress badly, which the disk-full test needs.
Video noiseClip(int frames, int width, int height) {
  Video video = syntheticClip(frames, width, height, 8);
  std::mt19937 gen(7);
  for (uint8_t& b : video.rgb) b = static_cast<uint8_t>(gen());
  return video;
}

// Settings with what tends to break embedding: quotes, newlines, non-ASCII, and some length.
std::string settingsJson() {
  std::string json =
      "{\n  \"prompt\": \"a red \\\"ball\\\" rolls — über café, 日本\",\n  \"seed\": 42,\n"
      "  \"attention\": {\"method\": \"svg2\", \"budget\": 0.25},\n  \"notes\": \"";
  for (int i = 0; i < 200; ++i) json += "step " + std::to_string(i) + "; ";
  json += "\"\n}";
  return json;
}

double meanAbsError(const uint8_t* a, const uint8_t* b, size_t n) {
  double sum = 0;
  for (size_t i = 0; i < n; ++i) sum += std::abs(int(a[i]) - int(b[i]));
  return sum / static_cast<double>(n);
}

int maxAbsError(const std::vector<uint8_t>& a, const std::vector<uint8_t>& b) {
  int worst = 0;
  for (size_t i = 0; i < a.size(); ++i) worst = std::max(worst, std::abs(int(a[i]) - int(b[i])));
  return worst;
}

// Worst per-frame mean error, comparing `original` with the top-left region of `decoded`
// (MP4 pads odd sizes).
double worstFrameError(const Video& original, const Video& decoded) {
  double worst = 0;
  for (int t = 0; t < original.frames; ++t) {
    double sum = 0;
    for (int y = 0; y < original.height; ++y) {
      const uint8_t* a = original.frame(t) + static_cast<size_t>(y) * original.width * 3;
      const uint8_t* b = decoded.frame(t) + static_cast<size_t>(y) * decoded.width * 3;
      sum += meanAbsError(a, b, static_cast<size_t>(original.width) * 3);
    }
    worst = std::max(worst, sum / original.height);
  }
  return worst;
}

// Runs an installed FFmpeg tool; false when it is not installed.
bool runTool(const QString& program, const QStringList& args, QByteArray* out) {
  const QString exe = QStandardPaths::findExecutable(program);
  if (exe.isEmpty()) return false;
  QProcess process;
  process.start(exe, args);
  if (!process.waitForFinished(60000)) return false;
  *out = process.readAllStandardOutput();
  if (process.exitCode() != 0) qWarning() << process.readAllStandardError();
  return process.exitCode() == 0;
}

std::function<bool()> cancelAfter(int polls) {
  auto count = std::make_shared<int>(0);
  return [count, polls] { return ++*count > polls; };
}

// Makes writes past `bytes` fail with EFBIG ("File too large"), like a full disk, until destroyed.
class FileSizeLimit {
 public:
  explicit FileSizeLimit(rlim_t bytes) {
    std::signal(SIGXFSZ, SIG_IGN);
    getrlimit(RLIMIT_FSIZE, &saved_);
    rlimit limit = saved_;
    limit.rlim_cur = bytes;
    setrlimit(RLIMIT_FSIZE, &limit);
  }
  ~FileSizeLimit() { setrlimit(RLIMIT_FSIZE, &saved_); }

 private:
  rlimit saved_{};
};

}  // namespace

class TestVideoExport : public QObject {
  Q_OBJECT

 private slots:
  void formatForPath() {
    QCOMPARE(svgen::videoFormatForPath("clip.mp4"), VideoFormat::Mp4);
    QCOMPARE(svgen::videoFormatForPath("out/Clip.MOV"), VideoFormat::Mp4);
    QCOMPARE(svgen::videoFormatForPath("clip.m4v"), VideoFormat::Mp4);
    QCOMPARE(svgen::videoFormatForPath("/tmp/a.b/clip.y4m"), VideoFormat::Y4m);
    QCOMPARE(svgen::videoFormatForPath("100%.y4m"), VideoFormat::Y4m);
    QCOMPARE(svgen::videoFormatForPath("frames/%04d.png"), VideoFormat::PngSequence);
    QCOMPARE(svgen::videoFormatForPath("f_%d.PNG"), VideoFormat::PngSequence);
    QCOMPARE(svgen::videoFormatForPath("100%%_%3d.png"), VideoFormat::PngSequence);
    for (const char* bad : {"clip.avi", "clip", "out/", "frames/%04d.jpg", "run%d/frame.png",
                            "%d_%02d.png", "single.png", "clip.mp4.part"}) {
      QVERIFY_THROWS_EXCEPTION(svgen::InputError, svgen::videoFormatForPath(bad));
    }
    try {
      svgen::videoFormatForPath("clip.avi");
    } catch (const svgen::InputError& e) {
      const std::string message = e.what();
      QVERIFY(message.find(".mp4") != std::string::npos);
      QVERIFY(message.find(".y4m") != std::string::npos);
      QVERIFY(message.find("%04d.png") != std::string::npos);
    }
  }

  void rejectsBadClipsAndOptions() {
    const std::string dir = svgen::test::freshDir("video_export/bad_input");
    Video empty;
    QVERIFY_THROWS_EXCEPTION(svgen::InputError,
                             svgen::exportVideo(empty, dir + "/a.y4m", ExportOptions{}));
    Video zero = syntheticClip(2, 8, 8, 8);
    zero.width = 0;
    QVERIFY_THROWS_EXCEPTION(svgen::InputError,
                             svgen::exportVideo(zero, dir + "/a.y4m", ExportOptions{}));
    Video shortData = syntheticClip(2, 8, 8, 8);
    shortData.rgb.pop_back();
    QVERIFY_THROWS_EXCEPTION(svgen::InputError,
                             svgen::exportVideo(shortData, dir + "/a.y4m", ExportOptions{}));
    const Video ok = syntheticClip(2, 8, 8, 8);
    QVERIFY_THROWS_EXCEPTION(svgen::InputError,
                             svgen::exportVideo(ok, dir + "/a.avi", ExportOptions{}));
    ExportOptions badFps;
    badFps.fps = -1;
    QVERIFY_THROWS_EXCEPTION(svgen::InputError, svgen::exportVideo(ok, dir + "/a.y4m", badFps));
    ExportOptions badCrf;
    badCrf.crf = 60;
    QVERIFY_THROWS_EXCEPTION(svgen::InputError, svgen::exportVideo(ok, dir + "/a.mp4", badCrf));
    QVERIFY(entries(dir).empty());
  }

  void mp4RoundTrip() {
#ifdef SVGEN_HAVE_FFMPEG
    QVERIFY(svgen::mp4ExportAvailable());
    const std::string dir = svgen::test::freshDir("video_export/mp4");
    const std::string path = dir + "/clip.mp4";
    const Video clip = syntheticClip(17, 64, 48, 8);
    ExportOptions options;
    options.metadataJson = settingsJson();
    svgen::exportVideo(clip, path, options);
    QCOMPARE(entries(dir), std::set<std::string>{"clip.mp4"});

    const VideoFile file = svgen::readVideo(path);
    QCOMPARE(file.video.frames, 17);
    QCOMPARE(file.video.width, 64);
    QCOMPARE(file.video.height, 48);
    QCOMPARE(file.codec, std::string("h264"));
    QCOMPARE(file.pixelFormat, std::string("yuv420p"));
    QVERIFY2(std::abs(file.video.fps - 8.0) < 1e-9, std::to_string(file.video.fps).c_str());
    QVERIFY2(std::abs(file.durationSeconds - 17 / 8.0) < 1 / 8.0 / 2,
             std::to_string(file.durationSeconds).c_str());
    QCOMPARE(file.metadataJson, options.metadataJson);
    QCOMPARE(svgen::readVideoMetadata(path), options.metadataJson);
    const double error = worstFrameError(clip, file.video);
    QVERIFY2(error < 3.0, std::to_string(error).c_str());

    // Independent check of what players will see.
    QByteArray out;
    if (runTool(
            "ffprobe",
            {"-v", "error", "-count_frames", "-select_streams", "v:0", "-show_entries",
             "stream=nb_read_frames,width,height,pix_fmt,codec_name,r_frame_rate", "-show_entries",
             "format=duration:format_tags=svgen", "-of", "json", QString::fromStdString(path)},
            &out)) {
      const QString text = QString::fromUtf8(out);
      QVERIFY2(text.contains("\"nb_read_frames\": \"17\""), qPrintable(text));
      QVERIFY2(text.contains("\"r_frame_rate\": \"8/1\""), qPrintable(text));
      QVERIFY2(text.contains("\"duration\": \"2.125000\""), qPrintable(text));
      QVERIFY2(text.contains("\"pix_fmt\": \"yuv420p\""), qPrintable(text));
      QVERIFY2(text.contains("\"svgen\": \"{"), qPrintable(text));
    }
#else
    QSKIP("built without FFmpeg");
#endif
  }

  void mp4LowCrfIsNearlyLossless() {
#ifdef SVGEN_HAVE_FFMPEG
    const std::string dir = svgen::test::freshDir("video_export/mp4_crf0");
    const Video clip = syntheticClip(9, 64, 48, 24);
    ExportOptions options;
    options.crf = 0;
    svgen::exportVideo(clip, dir + "/clip.mp4", options);
    const VideoFile file = svgen::readVideo(dir + "/clip.mp4");
    QCOMPARE(file.video.frames, 9);
    QCOMPARE(file.metadataJson, std::string());
    // What is left is 4:2:0 chroma subsampling and 8-bit YUV rounding, not the codec.
    const double error = worstFrameError(clip, file.video);
    QVERIFY2(error < 2.0, std::to_string(error).c_str());
#else
    QSKIP("built without FFmpeg");
#endif
  }

  void mp4OddSizeIsPadded() {
#ifdef SVGEN_HAVE_FFMPEG
    const std::string dir = svgen::test::freshDir("video_export/mp4_odd");
    const Video clip = syntheticClip(5, 33, 17, 8);
    svgen::exportVideo(clip, dir + "/odd.mov", ExportOptions{});
    const VideoFile file = svgen::readVideo(dir + "/odd.mov");
    QCOMPARE(file.video.frames, 5);
    QCOMPARE(file.video.width, 34);
    QCOMPARE(file.video.height, 18);
    const double error = worstFrameError(clip, file.video);
    QVERIFY2(error < 4.0, std::to_string(error).c_str());
    // The padding repeats the last column, so it looks like its neighbour.
    const Video& v = file.video;
    double sum = 0;
    for (int y = 0; y < 17; ++y)
      for (int c = 0; c < 3; ++c) {
        const uint8_t* row = v.frame(2) + static_cast<size_t>(y) * v.width * 3;
        sum += std::abs(int(row[33 * 3 + c]) - int(row[32 * 3 + c]));
      }
    QVERIFY2(sum / (17 * 3) < 6, std::to_string(sum / (17 * 3)).c_str());
#else
    QSKIP("built without FFmpeg");
#endif
  }

  void mp4WithoutFfmpegIsAnInputError() {
#ifdef SVGEN_HAVE_FFMPEG
    QSKIP("built with FFmpeg");
#else
    QVERIFY(!svgen::mp4ExportAvailable());
    const std::string dir = svgen::test::freshDir("video_export/no_ffmpeg");
    try {
      svgen::exportVideo(syntheticClip(2, 8, 8, 8), dir + "/clip.mp4", ExportOptions{});
      QFAIL("expected InputError");
    } catch (const svgen::InputError& e) {
      QVERIFY(std::string(e.what()).find(".y4m") != std::string::npos);
    }
    QVERIFY(entries(dir).empty());
#endif
  }

  void y4mRoundTrip() {
    const std::string dir = svgen::test::freshDir("video_export/y4m");
    const std::string path = dir + "/clip.y4m";
    const Video clip = syntheticClip(17, 64, 48, 8);
    ExportOptions options;
    options.metadataJson = settingsJson();
    svgen::exportVideo(clip, path, options);
    QCOMPARE(entries(dir), (std::set<std::string>{"clip.y4m", "clip.y4m.json"}));
    const std::string bytes = slurp(path);
    QCOMPARE(bytes.substr(0, bytes.find('\n')),
             std::string("YUV4MPEG2 W64 H48 F8:1 Ip A1:1 C444 XCOLORRANGE=FULL"));

    const VideoFile file = svgen::readVideo(path);
    QCOMPARE(file.video.frames, 17);
    QCOMPARE(file.video.width, 64);
    QCOMPARE(file.video.height, 48);
    QCOMPARE(file.video.fps, 8.0);
    QCOMPARE(file.durationSeconds, 17 / 8.0);
    QCOMPARE(file.pixelFormat, std::string("yuv444p"));
    QVERIFY(maxAbsError(clip.rgb, file.video.rgb) <= 1);
    QCOMPARE(file.metadataJson, options.metadataJson);
    QCOMPARE(svgen::readVideoMetadata(path), options.metadataJson);

    // FFmpeg reads the same colours (it honours XCOLORRANGE=FULL).
    QByteArray raw;
    if (runTool("ffmpeg",
                {"-v", "error", "-i", QString::fromStdString(path), "-f", "rawvideo", "-pix_fmt",
                 "rgb24", "-"},
                &raw)) {
      QCOMPARE(static_cast<size_t>(raw.size()), clip.rgb.size());
      const std::vector<uint8_t> decoded(raw.begin(), raw.end());
      QVERIFY2(maxAbsError(clip.rgb, decoded) <= 3,
               std::to_string(maxAbsError(clip.rgb, decoded)).c_str());
    }

    // A re-export without settings must not leave the old sidecar describing another run.
    svgen::exportVideo(clip, path, ExportOptions{});
    QCOMPARE(entries(dir), std::set<std::string>{"clip.y4m"});
    QCOMPARE(svgen::readVideoMetadata(path), std::string());
  }

  void y4mOddSizeAndNtscRate() {
    const std::string dir = svgen::test::freshDir("video_export/y4m_odd");
    const Video clip = syntheticClip(3, 33, 17, 30000.0 / 1001.0);
    svgen::exportVideo(clip, dir + "/odd.y4m", ExportOptions{});
    const std::string bytes = slurp(dir + "/odd.y4m");
    QVERIFY(bytes.rfind("YUV4MPEG2 W33 H17 F30000:1001 ", 0) == 0);
    const VideoFile file = svgen::readVideo(dir + "/odd.y4m");
    QCOMPARE(file.video.width, 33);
    QCOMPARE(file.video.height, 17);
    QVERIFY(std::abs(file.video.fps - 29.97002997) < 1e-6);
    QVERIFY(maxAbsError(clip.rgb, file.video.rgb) <= 1);
  }

  void y4mReadsFfmpeg420() {
    const std::string dir = svgen::test::freshDir("video_export/y4m_420");
    const Video clip = syntheticClip(4, 64, 48, 8);
    svgen::exportVideo(clip, dir + "/src.y4m", ExportOptions{});
    QByteArray ignored;
    if (!runTool("ffmpeg",
                 {"-v", "error", "-i", QString::fromStdString(dir + "/src.y4m"), "-pix_fmt",
                  "yuv420p", "-strict", "-1", "-y", QString::fromStdString(dir + "/420.y4m")},
                 &ignored))
      QSKIP("the ffmpeg tool is not installed");
    const VideoFile file = svgen::readVideo(dir + "/420.y4m");
    QCOMPARE(file.pixelFormat, std::string("yuv420p"));
    QCOMPARE(file.video.frames, 4);
    const double error = worstFrameError(clip, file.video);
    QVERIFY2(error < 4.0, std::to_string(error).c_str());
  }

  void pngSequence() {
    const std::string dir = svgen::test::freshDir("video_export/png");
    const std::string folder = dir + "/frames";  // does not exist yet
    const Video clip = syntheticClip(17, 64, 48, 8);
    ExportOptions options;
    options.metadataJson = settingsJson();
    svgen::exportVideo(clip, folder + "/%04d.png", options);

    std::set<std::string> expected{"settings.json"};
    for (int i = 1; i <= 17; ++i) expected.insert(QString::asprintf("%04d.png", i).toStdString());
    QCOMPARE(entries(folder), expected);
    QCOMPARE(slurp(folder + "/settings.json"), options.metadataJson);
    QCOMPARE(svgen::readVideoMetadata(folder + "/0001.png"), options.metadataJson);
    QCOMPARE(svgen::readVideoMetadata(folder + "/0017.png"), options.metadataJson);
    QCOMPARE(svgen::readVideoMetadata(folder + "/%04d.png"), options.metadataJson);

    for (int t = 0; t < 17; ++t) {
      const VideoFile frame =
          svgen::readVideo(folder + QString::asprintf("/%04d.png", t + 1).toStdString());
      QCOMPARE(frame.video.width, 64);
      QCOMPARE(frame.video.height, 48);
      QVERIFY(std::equal(frame.video.rgb.begin(), frame.video.rgb.end(), clip.frame(t)));
    }
    const VideoFile all = svgen::readVideo(folder + "/%04d.png");
    QCOMPARE(all.video.frames, 17);
    QVERIFY(all.video.rgb == clip.rgb);
    QCOMPARE(all.metadataJson, options.metadataJson);

    // FFmpeg's image2 demuxer finds the sequence and decodes the same pixels.
    QByteArray raw;
    if (runTool("ffmpeg",
                {"-v", "error", "-i", QString::fromStdString(folder + "/%04d.png"), "-f",
                 "rawvideo", "-pix_fmt", "rgb24", "-"},
                &raw)) {
      QVERIFY(std::vector<uint8_t>(raw.begin(), raw.end()) == clip.rgb);
    }

    // ASCII settings go into a plain tEXt chunk, which FFmpeg shows as a frame tag. (Non-ASCII
    // ones use iTXt, which FFmpeg 5.1 does not read; ours does, as checked above.)
    ExportOptions ascii;
    ascii.metadataJson = "{\"seed\": 7}";
    svgen::exportVideo(syntheticClip(2, 16, 16, 8), dir + "/ascii/%02d.png", ascii);
    QCOMPARE(svgen::readVideoMetadata(dir + "/ascii/01.png"), ascii.metadataJson);
    QByteArray tags;
    if (runTool("ffprobe",
                {"-v", "error", "-show_entries", "frame_tags=svgen", "-of", "json",
                 QString::fromStdString(dir + "/ascii/02.png")},
                &tags)) {
      QVERIFY2(tags.contains("\"svgen\": \"{\\\"seed\\\": 7}\""), tags.constData());
    }
  }

  // A folder with an earlier export's frames is refused (a shorter export would have left the
  // old tail behind: 20 frames, then 5, and ffprobe read 20); with replaceFrames the frames are
  // replaced as a whole. Files that are not frames of the pattern are never touched.
  void pngSequenceIntoAUsedFolder() {
    const std::string dir = svgen::test::freshDir("video_export/png_used");
    spit(dir + "/notes.txt", "mine");
    ExportOptions options;
    options.metadataJson = settingsJson();
    svgen::exportVideo(syntheticClip(20, 16, 16, 8), dir + "/%04d.png", options);
    const std::set<std::string> twenty = entries(dir);
    QCOMPARE(twenty.size(), size_t(22));  // 20 frames, settings.json, notes.txt

    try {
      svgen::exportVideo(syntheticClip(5, 16, 16, 8), dir + "/%04d.png", options);
      QFAIL("expected InputError");
    } catch (const svgen::InputError& e) {
      const std::string message = e.what();
      QVERIFY2(message.find("20 frame(s)") != std::string::npos, e.what());
      QVERIFY2(message.find("0001.png to 0020.png") != std::string::npos, e.what());
      QVERIFY2(message.find("--replace-frames") != std::string::npos, e.what());
    }
    QCOMPARE(entries(dir), twenty);

    options.replaceFrames = true;
    svgen::exportVideo(syntheticClip(5, 16, 16, 8), dir + "/%04d.png", options);
    QCOMPARE(entries(dir), (std::set<std::string>{"0001.png", "0002.png", "0003.png", "0004.png",
                                                  "0005.png", "settings.json", "notes.txt"}));
    QCOMPARE(svgen::readVideo(dir + "/%04d.png").video.frames, 5);
    QCOMPARE(slurp(dir + "/notes.txt"), std::string("mine"));

    // Without settings this time: the old settings.json describes frames that are gone.
    ExportOptions bare;
    bare.replaceFrames = true;
    svgen::exportVideo(syntheticClip(2, 16, 16, 8), dir + "/%04d.png", bare);
    QCOMPARE(entries(dir), (std::set<std::string>{"0001.png", "0002.png", "notes.txt"}));
  }

  void cancelLeavesNothing_data() {
    QTest::addColumn<QString>("name");
    QTest::newRow("y4m") << "clip.y4m";
    QTest::newRow("png") << "%03d.png";
#ifdef SVGEN_HAVE_FFMPEG
    QTest::newRow("mp4") << "clip.mp4";
#endif
  }
  void cancelLeavesNothing() {
    QFETCH(QString, name);
    const std::string dir = svgen::test::freshDir("video_export/cancel");
    const std::string path = dir + "/" + name.toStdString();
    const Video clip = syntheticClip(17, 64, 48, 8);
    ExportOptions options;
    options.metadataJson = settingsJson();

    // Nothing there before: nothing there after.
    QVERIFY_THROWS_EXCEPTION(svgen::Cancelled,
                             svgen::exportVideo(clip, path, options, cancelAfter(5)));
    QVERIFY(entries(dir).empty());

    // Something there before: exactly the same bytes after.
    const std::string existing =
        name.contains('%') ? dir + "/001.png" : path;  // the first frame a PNG export would write
    spit(existing, "precious");
    options.replaceFrames = true;  // a PNG folder with frames is refused without it
    if (!name.contains('%')) spit(path + ".json", "{\"old\": true}");
    const std::set<std::string> before = entries(dir);
    QVERIFY_THROWS_EXCEPTION(svgen::Cancelled,
                             svgen::exportVideo(clip, path, options, cancelAfter(5)));
    QCOMPARE(entries(dir), before);
    QCOMPARE(slurp(existing), std::string("precious"));

    // Cancelled right at the start, before any frame.
    QVERIFY_THROWS_EXCEPTION(svgen::Cancelled,
                             svgen::exportVideo(clip, path, options, [] { return true; }));
    QCOMPARE(entries(dir), before);
  }

  void cancelPngIntoNewFolderRemovesIt() {
    const std::string dir = svgen::test::freshDir("video_export/cancel_png_folder");
    QVERIFY_THROWS_EXCEPTION(svgen::Cancelled,
                             svgen::exportVideo(syntheticClip(9, 16, 16, 8), dir + "/a/b/%04d.png",
                                                ExportOptions{}, cancelAfter(4)));
    QVERIFY(entries(dir).empty());
  }

  void missingFolderIsAnInputError_data() {
    QTest::addColumn<QString>("name");
    QTest::newRow("y4m") << "clip.y4m";
#ifdef SVGEN_HAVE_FFMPEG
    QTest::newRow("mp4") << "clip.mp4";
#endif
  }
  // Checked before anything is written (checkExportTarget), so a command can refuse it before
  // its run.
  void missingFolderIsAnInputError() {
    QFETCH(QString, name);
    const std::string dir = svgen::test::freshDir("video_export/missing");
    const std::string path = dir + "/not/there/" + name.toStdString();
    try {
      svgen::exportVideo(syntheticClip(3, 16, 16, 8), path, ExportOptions{});
      QFAIL("expected InputError");
    } catch (const svgen::InputError& e) {
      const std::string message = e.what();
      QVERIFY2(message.find("does not exist") != std::string::npos, e.what());
      QVERIFY2(message.find(dir + "/not/there") != std::string::npos, e.what());
    }
    QVERIFY(entries(dir).empty());
  }

  void fullDiskIsARuntimeFailure_data() {
    QTest::addColumn<QString>("name");
    QTest::newRow("y4m") << "clip.y4m";
    QTest::newRow("png") << "%04d.png";
#ifdef SVGEN_HAVE_FFMPEG
    QTest::newRow("mp4") << "clip.mp4";
#endif
  }
  void fullDiskIsARuntimeFailure() {
    QFETCH(QString, name);
    const std::string dir = svgen::test::freshDir("video_export/full");
    const std::string path = dir + "/" + name.toStdString();
    const Video clip = noiseClip(8, 96, 64);
    if (!name.contains('%')) spit(path, "precious");
    const std::set<std::string> before = entries(dir);
    std::string message;
    {
      FileSizeLimit limit(16 * 1024);
      try {
        svgen::exportVideo(clip, path, ExportOptions{});
      } catch (const svgen::RuntimeFailure& e) {
        message = e.what();
      }
    }
    QVERIFY2(message.find("File too large") != std::string::npos, message.c_str());
    QCOMPARE(entries(dir), before);
    if (!name.contains('%')) QCOMPARE(slurp(path), std::string("precious"));
  }

  void overwritesAnExistingClip() {
    const std::string dir = svgen::test::freshDir("video_export/overwrite");
    spit(dir + "/clip.y4m", "old");
    svgen::exportVideo(syntheticClip(2, 8, 8, 8), dir + "/clip.y4m", ExportOptions{});
    QCOMPARE(svgen::readVideo(dir + "/clip.y4m").video.frames, 2);
    QCOMPARE(entries(dir), std::set<std::string>{"clip.y4m"});
  }

  void readErrors() {
    const std::string dir = svgen::test::freshDir("video_export/read_errors");
    QVERIFY_THROWS_EXCEPTION(svgen::InputError, svgen::readVideo(dir + "/none.y4m"));
    QVERIFY_THROWS_EXCEPTION(svgen::InputError, svgen::readVideoMetadata(dir + "/none.y4m"));
    QVERIFY_THROWS_EXCEPTION(svgen::InputError, svgen::readVideo(dir + "/none/%04d.png"));
    QVERIFY_THROWS_EXCEPTION(svgen::InputError, svgen::readVideo(dir + "/clip.avi"));
    spit(dir + "/junk.y4m", "not a video\n");
    QVERIFY_THROWS_EXCEPTION(svgen::InputError, svgen::readVideo(dir + "/junk.y4m"));
    spit(dir + "/cut.y4m", "YUV4MPEG2 W4 H4 F8:1 C444\nFRAME\nabc");
    QVERIFY_THROWS_EXCEPTION(svgen::InputError, svgen::readVideo(dir + "/cut.y4m"));
    spit(dir + "/junk.png", "not a png");
    QVERIFY_THROWS_EXCEPTION(svgen::InputError, svgen::readVideo(dir + "/junk.png"));
#ifdef SVGEN_HAVE_FFMPEG
    spit(dir + "/junk.mp4", "not an mp4");
    QVERIFY_THROWS_EXCEPTION(svgen::InputError, svgen::readVideo(dir + "/junk.mp4"));
    QVERIFY_THROWS_EXCEPTION(svgen::InputError, svgen::readVideoMetadata(dir + "/none.mp4"));
#endif
  }
};

QTEST_GUILESS_MAIN(TestVideoExport)
#include "test_video_export.moc"
