// Exports under signals, links and leftovers (issue 23, items 3, 5 and 11). A signal that ends
// the process is simulated in a forked child by calling what the CLI's handler calls
// (exitRemovingPendingOutputs) from inside the export's cancel poll, at chosen moments: mid-way,
// and inside the final renames. Every case leaves either the old output untouched or the new one
// whole, and no temporary file behind.
#include "core/common/error.h"
#include "core/io/atomic_file.h"
#include "core/io/pending_outputs.h"
#include "core/io/video_export.h"
#include "core/io/video_reader.h"
#include "tests/support/test_support.h"

#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <functional>
#include <memory>
#include <set>
#include <string>

#include <QtTest>

namespace fs = std::filesystem;
using svgen::ExportOptions;
using svgen::Video;
using svgen::test::entries;
using svgen::test::slurp;
using svgen::test::spit;

namespace {

Video flatClip(int frames, uint8_t level) {
  Video v;
  v.frames = frames;
  v.width = 32;
  v.height = 16;
  v.rgb.assign(v.frameBytes() * frames, level);
  return v;
}

// Runs `body` in a child process and returns its exit status (-1 when it did not exit normally).
int inChild(const std::function<void()>& body) {
  const pid_t pid = ::fork();
  if (pid == 0) {
    try {
      body();
    } catch (...) {
      ::_exit(99);
    }
    ::_exit(0);
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

// A cancel poll that, on its `n`-th call, does what a second Ctrl+C does; it never asks to cancel.
std::function<bool()> signalOnPoll(int n) {
  auto count = std::make_shared<int>(0);
  return [count, n] {
    if (++*count == n) svgen::exitRemovingPendingOutputs(130, nullptr);
    return false;
  };
}

// A pid that no longer runs: a child that has exited and been reaped.
pid_t deadPid() {
  const pid_t pid = ::fork();
  if (pid == 0) ::_exit(0);
  ::waitpid(pid, nullptr, 0);
  return pid;
}

}  // namespace

class TestExportSafety : public QObject {
  Q_OBJECT

 private slots:
  void forcedExitMidExportLeavesTheOldFile_data() {
    QTest::addColumn<QString>("name");
    QTest::newRow("y4m") << "clip.y4m";
    QTest::newRow("png") << "%04d.png";
#ifdef SVGEN_HAVE_FFMPEG
    QTest::newRow("mp4") << "clip.mp4";
#endif
  }
  void forcedExitMidExportLeavesTheOldFile() {
    QFETCH(QString, name);
    const std::string dir = svgen::test::freshDir("export_safety/mid");
    const std::string path = dir + "/" + name.toStdString();
    const bool png = name.contains('%');
    const std::string existing = png ? dir + "/0001.png" : path;
    spit(existing, "precious");
    if (!png) spit(path + ".json", "{\"old\": true}");
    const std::set<std::string> before = entries(dir);
    ExportOptions options;
    options.metadataJson = "{\"seed\": 1}";
    options.replaceFrames = true;
    const int code =
        inChild([&] { svgen::exportVideo(flatClip(12, 90), path, options, signalOnPoll(6)); });
    QCOMPARE(code, 130);
    QCOMPARE(entries(dir), before);  // no .tmp- file, no staging folder
    QCOMPARE(slurp(existing), std::string("precious"));
  }

  void forcedExitDuringTheRenamesWaitsForThem_data() {
    forcedExitMidExportLeavesTheOldFile_data();
  }
  // The last poll is the one inside the commit section, just before the renames: the exit waits
  // for them, so the new export is whole (for Y4M, the clip and its settings file both).
  void forcedExitDuringTheRenamesWaitsForThem() {
    QFETCH(QString, name);
    const std::string dir = svgen::test::freshDir("export_safety/commit");
    const std::string path = dir + "/" + name.toStdString();
    const bool png = name.contains('%');
    spit(png ? dir + "/0001.png" : path, "old");
    ExportOptions options;
    options.metadataJson = "{\"seed\": 2}";
    options.replaceFrames = true;
    // Polls: one before the format's work, one per frame, one before the renames.
    const int frames = 6;
    const int code = inChild([&] {
      svgen::exportVideo(flatClip(frames, 150), path, options, signalOnPoll(frames + 2));
    });
    QCOMPARE(code, 130);
    const svgen::VideoFile back = svgen::readVideo(path);
    QCOMPARE(back.video.frames, frames);
    QCOMPARE(back.metadataJson, options.metadataJson);
    for (const std::string& e : entries(dir)) QVERIFY2(e[0] != '.', e.c_str());
  }

  // A single Ctrl+C that lands after the last frame, while the file is being finished, still
  // cancels: the old file stays (before, the export finished, replaced it and exited 0).
  void cancelWhileFinishingKeepsTheOldFile_data() {
    forcedExitMidExportLeavesTheOldFile_data();
  }
  void cancelWhileFinishingKeepsTheOldFile() {
    QFETCH(QString, name);
    const std::string dir = svgen::test::freshDir("export_safety/finishing");
    const std::string path = dir + "/" + name.toStdString();
    const bool png = name.contains('%');
    const std::string existing = png ? dir + "/0001.png" : path;
    spit(existing, "precious");
    const std::set<std::string> before = entries(dir);
    ExportOptions options;
    options.replaceFrames = true;
    const int frames = 5;
    auto count = std::make_shared<int>(0);
    QVERIFY_THROWS_EXCEPTION(svgen::Cancelled,
                             svgen::exportVideo(flatClip(frames, 60), path, options,
                                                [=] { return ++*count == frames + 2; }));
    QCOMPARE(*count, frames + 2);
    QCOMPARE(entries(dir), before);
    QCOMPARE(slurp(existing), std::string("precious"));
  }

  // What a SIGKILL or a power cut leaves is removed by the next export to the same place; what a
  // running process is writing is not.
  void staleTemporariesOfDeadProcessesGo() {
    const std::string dir = svgen::test::freshDir("export_safety/stale");
    const std::string dead = std::to_string(deadPid());
    const std::string alive = std::to_string(::getpid());
    spit(dir + "/.clip.y4m.tmp-" + dead + ".abcdefgh", "half a clip");
    spit(dir + "/.clip.y4m.json.tmp-" + dead + ".abcdefgh", "{");
    spit(dir + "/.clip.y4m.tmp-" + alive + ".ijklmnop", "being written");
    spit(dir + "/.other.y4m.tmp-" + dead + ".qrstuvwx", "another target's");
    fs::create_directories(dir + "/f/.svgen-frames.tmp-" + dead + ".Ab12Cd");
    spit(dir + "/f/.svgen-frames.tmp-" + dead + ".Ab12Cd/0001.png", "frame");
    ExportOptions options;
    options.metadataJson = "{}";
    svgen::exportVideo(flatClip(2, 10), dir + "/clip.y4m", options);
    svgen::exportVideo(flatClip(2, 10), dir + "/f/%04d.png", options);
    QCOMPARE(entries(dir), (std::set<std::string>{"clip.y4m", "clip.y4m.json", "f",
                                                  ".clip.y4m.tmp-" + alive + ".ijklmnop",
                                                  ".other.y4m.tmp-" + dead + ".qrstuvwx"}));
    QCOMPARE(entries(dir + "/f"), (std::set<std::string>{"0001.png", "0002.png", "settings.json"}));
  }

  // One behaviour for every writer: a link is written through and stays a link; a link to
  // something that is not a regular file is refused before anything is written.
  void linksAreWrittenThrough() {
    const std::string dir = svgen::test::freshDir("export_safety/links");
    spit(dir + "/real.y4m", "old");
    QVERIFY(::symlink("real.y4m", (dir + "/link.y4m").c_str()) == 0);
    svgen::exportVideo(flatClip(2, 10), dir + "/link.y4m", ExportOptions{});
    QVERIFY(fs::is_symlink(dir + "/link.y4m"));
    QCOMPARE(svgen::readVideo(dir + "/real.y4m").video.frames, 2);

    svgen::writeFileAtomically(dir + "/link.y4m", "through");
    QVERIFY(fs::is_symlink(dir + "/link.y4m"));
    QCOMPARE(slurp(dir + "/real.y4m"), std::string("through"));

    QVERIFY(::symlink("new.y4m", (dir + "/dangling.y4m").c_str()) == 0);
    svgen::exportVideo(flatClip(1, 10), dir + "/dangling.y4m", ExportOptions{});
    QVERIFY(fs::is_symlink(dir + "/dangling.y4m"));
    QCOMPARE(svgen::readVideo(dir + "/new.y4m").video.frames, 1);

    QVERIFY(::symlink("/dev/null", (dir + "/null.y4m").c_str()) == 0);
    fs::create_directories(dir + "/folder.y4m");
    for (const char* bad : {"/null.y4m", "/folder.y4m"}) {
      const std::string path = dir + bad;
      QVERIFY_THROWS_EXCEPTION(svgen::InputError,
                               svgen::exportVideo(flatClip(1, 10), path, ExportOptions{}));
      QVERIFY_THROWS_EXCEPTION(svgen::InputError, svgen::writeFileAtomically(path, "x"));
    }
    QVERIFY(fs::is_symlink(dir + "/null.y4m"));
    QVERIFY(fs::is_character_file("/dev/null"));
  }

  // Everything an export would refuse is refused by checkExportTarget alone, before any work,
  // with the option named.
  void targetsAreCheckedBeforeTheWork() {
    const std::string dir = svgen::test::freshDir("export_safety/check");
    spit(dir + "/file", "x");
    fs::create_directories(dir + "/used");
    spit(dir + "/used/007.png", "x");
    struct Case {
      std::string path, expected;
    };
    for (const Case& c : std::initializer_list<Case>{
             {dir + "/missing/clip.y4m", "does not exist"},
             {dir + "/file/clip.y4m", "is a file, not a folder"},
             {dir + "/file/frames/%03d.png", "is a file, not a folder"},
             {dir + "/used/%03d.png", "already holds 1 frame(s)"},
             {dir, "cannot tell the video format"},
         }) {
      try {
        svgen::checkExportTarget(c.path, ExportOptions{}, "--out");
        QFAIL(("accepted " + c.path).c_str());
      } catch (const svgen::InputError& e) {
        const std::string message = e.what();
        QVERIFY2(message.find(c.expected) != std::string::npos, e.what());
      }
    }
    if (::geteuid() != 0) {  // root writes anywhere
      fs::create_directories(dir + "/readonly");
      ::chmod((dir + "/readonly").c_str(), 0555);
      QVERIFY_THROWS_EXCEPTION(
          svgen::InputError,
          svgen::checkExportTarget(dir + "/readonly/clip.y4m", ExportOptions{}, "--out"));
    }
    svgen::checkExportTarget(dir + "/new/deeper/%04d.png", ExportOptions{});  // created later
    QVERIFY(!fs::exists(dir + "/new"));
  }
};

QTEST_MAIN(TestExportSafety)
#include "test_export_safety.moc"
