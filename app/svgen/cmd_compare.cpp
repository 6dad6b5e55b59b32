// svgen compare: one prompt and seed through several attention methods; each clip's density, time,
// speedup and PSNR/SSIM against the dense clip, as a table, CSV and JSON, plus the clips and an
// optional side-by-side video.
#include "app/svgen/attention_options.h"
#include "app/svgen/commands.h"
#include "app/svgen/interrupt.h"
#include "app/svgen/progress_reporter.h"
#include "app/svgen/request_options.h"
#include "core/attention/method_registry.h"
#include "core/common/error.h"
#include "core/io/atomic_file.h"
#include "core/io/video_export.h"
#include "core/pipeline/engine.h"
#include "core/pipeline/request_json.h"
#include "core/pipeline/video_quality.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <limits>
#include <map>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

namespace svgen::cli {

namespace {

namespace fs = std::filesystem;
using json = nlohmann::ordered_json;  // keys in the order written

constexpr const char* kReference = "dense";

// Every registered method: "dense,svg,svg2,svoo".
std::string joinedIds() {
  std::string s;
  for (const std::string& id : attentionMethodIds()) s += (s.empty() ? "" : ",") + id;
  return s;
}

struct CompareOptions {
  GenerationRequest request;
  std::string methods = joinedIds();
  std::string outDir;
  std::string sideBySide;
  int crf = 18;
  bool replaceFrames = false;
  bool json = false;
  bool quiet = false;
  bool noWarmRun = false;
};

// One run of the comparison.
struct Run {
  std::string label;   // the method, or "<method>-<k>" for its k-th run when listed again
  std::string method;  // attention method
  GenerationRequest request;
  GenerationResult result;
  VideoQuality quality;  // against the dense run
  double loadSeconds = 0;
  double seconds = 0;  // the run without loading the model (only the first run loads it)
  double speedup = 0;
  double attentionSpeedup = 0;  // NaN when this run measured no attention time
  std::string clipPath;         // "" when not written
};

std::string joined(const std::vector<std::string>& items) {
  std::string s;
  for (const auto& item : items) s += (s.empty() ? "" : ", ") + item;
  return s;
}

std::string trimmedLower(const std::string& s) {
  const auto first = s.find_first_not_of(" \t");
  if (first == std::string::npos) return "";
  const auto last = s.find_last_not_of(" \t");
  std::string out = s.substr(first, last - first + 1);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// The methods to run, dense first: moved there when listed elsewhere, added when missing.
std::vector<std::string> parseMethods(const std::string& list) {
  const std::vector<std::string> valid = attentionMethodIds();
  std::vector<std::string> methods;
  std::stringstream in(list);
  std::string item;
  while (std::getline(in, item, ',')) {
    const std::string name = trimmedLower(item);
    if (name.empty()) {
      throw InputError("--methods '" + list + "' has an empty entry: list methods separated by " +
                       "commas, from " + joined(valid));
    }
    if (std::find(valid.begin(), valid.end(), name) == valid.end()) {
      throw InputError("--methods: unknown attention method '" + name +
                       "'; valid: " + joined(valid));
    }
    methods.push_back(name);
  }
  if (methods.empty()) throw InputError("--methods is empty; valid methods: " + joined(valid));
  const auto dense = std::find(methods.begin(), methods.end(), kReference);
  if (dense == methods.end()) {
    methods.insert(methods.begin(), kReference);
  } else {
    std::rotate(methods.begin(), dense, dense + 1);
  }
  return methods;
}

// Labels that tell repeated methods apart: dense, svg, dense-2, ...
std::vector<std::string> labelsFor(const std::vector<std::string>& methods) {
  std::map<std::string, int> seen;
  std::vector<std::string> labels;
  for (const auto& m : methods) {
    const int k = ++seen[m];
    labels.push_back(k == 1 ? m : m + "-" + std::to_string(k));
  }
  return labels;
}

double stageSeconds(const GenerationResult& r, const std::string& name) {
  for (const auto& t : r.timings) {
    if (t.name == name) return t.seconds;
  }
  return 0;
}

// The clips of every run side by side, left to right in run order.
Video sideBySide(const std::vector<Run>& runs) {
  const Video& first = runs.front().result.video;
  Video out;
  out.frames = first.frames;
  out.height = first.height;
  out.width = first.width * static_cast<int>(runs.size());
  out.fps = first.fps;
  out.rgb.resize(out.frameBytes() * out.frames);
  const size_t row = static_cast<size_t>(first.width) * 3;
  for (int t = 0; t < out.frames; ++t) {
    for (int y = 0; y < out.height; ++y) {
      uint8_t* dst = out.frame(t) + y * row * runs.size();
      for (const Run& run : runs) {
        std::memcpy(dst, run.result.video.frame(t) + y * row, row);
        dst += row;
      }
    }
  }
  return out;
}

json nullIfNotFinite(double x) {
  return std::isfinite(x) ? json(x) : json(nullptr);
}

json cappedPsnrs(const std::vector<double>& psnrs) {
  json a = json::array();
  for (double p : psnrs) a.push_back(reportablePsnr(p));
  return a;
}

json reportJson(const std::vector<Run>& runs, const std::string& sideBySidePath, bool warmRun) {
  const Run& ref = runs.front();
  json methods = json::array();
  for (const Run& run : runs) {
    const json request = json::parse(requestToJson(run.result.request));
    json m = {{"label", run.label},
              {"method", run.method},
              {"attention", request.at("attention")},
              {"density", run.result.attentionDensity},
              {"sparse_density", run.result.sparseAttentionDensity},
              {"attention_seconds", run.result.attentionSeconds},
              {"seconds", run.seconds},
              {"load_seconds", run.loadSeconds},
              {"total_seconds", run.result.totalSeconds},
              {"speedup", nullIfNotFinite(run.speedup)},
              {"attention_speedup", nullIfNotFinite(run.attentionSpeedup)},
              {"psnr_db", reportablePsnr(run.quality.psnr)},
              {"ssim", run.quality.ssim},
              {"mse", run.quality.mse},
              {"identical", run.quality.identical},
              {"frame_psnr_db", cappedPsnrs(run.quality.framePsnr)},
              {"frame_ssim", run.quality.frameSsim}};
    if (!run.clipPath.empty()) m["clip"] = run.clipPath;
    methods.push_back(m);
  }
  json j = {{"generator", "svgen " SVGEN_VERSION},
            {"reference", ref.label},
            {"psnr_cap_db", kReportedPsnrCap},
            {"warm_run", warmRun},
            {"notes",
             "seconds: each run without loading the model; speedup "
             "= reference seconds / seconds; attention_speedup the same for self-attention time; "
             "PSNR (RGB, whole clip) and SSIM (luma, mean over frames) against the reference; "
             "PSNR of identical clips is reported as psnr_cap_db"},
            {"request", json::parse(requestToJson(ref.result.request))},
            {"model_label", ref.result.modelLabel},
            {"device", ref.result.device},
            {"frames", ref.result.video.frames},
            {"width", ref.result.video.width},
            {"height", ref.result.video.height},
            {"methods", methods}};
  if (!sideBySidePath.empty()) j["side_by_side"] = sideBySidePath;
  return j;
}

std::string csvNumber(double x, const char* format) {
  if (!std::isfinite(x)) return "";
  char buf[64];
  std::snprintf(buf, sizeof buf, format, x);
  return buf;
}

std::string reportCsv(const std::vector<Run>& runs) {
  std::string s =
      "method,attention,density,sparse_density,attention_seconds,seconds,load_seconds,speedup,"
      "attention_speedup,psnr_db,ssim,identical,clip\n";
  for (const Run& r : runs) {
    s += r.label + "," + r.method + "," + csvNumber(r.result.attentionDensity, "%.6f") + "," +
         csvNumber(r.result.sparseAttentionDensity, "%.6f") + "," +
         csvNumber(r.result.attentionSeconds, "%.4f") + "," + csvNumber(r.seconds, "%.4f") + "," +
         csvNumber(r.loadSeconds, "%.4f") + "," + csvNumber(r.speedup, "%.4f") + "," +
         csvNumber(r.attentionSpeedup, "%.4f") + "," +
         csvNumber(reportablePsnr(r.quality.psnr), "%.4f") + "," +
         csvNumber(r.quality.ssim, "%.6f") + "," + (r.quality.identical ? "true" : "false") + "," +
         fs::path(r.clipPath).filename().string() + "\n";
  }
  return s;
}

std::string psnrText(double psnr) {
  return std::isinf(psnr) ? "inf" : csvNumber(psnr, "%.2f");
}

std::string speedupText(double x) {
  return std::isfinite(x) ? csvNumber(x, "%.2fx") : "-";
}

void printTable(const std::vector<Run>& runs) {
  size_t width = 6;
  for (const Run& r : runs) width = std::max(width, r.label.size());
  const int w = static_cast<int>(width);
  std::printf("%-*s %8s %8s %8s %8s %8s %8s %8s %7s\n", w, "method", "density", "sparse", "attn s",
              "total s", "speedup", "attn x", "PSNR dB", "SSIM");
  for (const Run& r : runs) {
    std::printf("%-*s %7.1f%% %7.1f%% %8.2f %8.2f %8s %8s %8s %7.4f\n", w, r.label.c_str(),
                100.0 * r.result.attentionDensity, 100.0 * r.result.sparseAttentionDensity,
                r.result.attentionSeconds, r.seconds, speedupText(r.speedup).c_str(),
                speedupText(r.attentionSpeedup).c_str(), psnrText(r.quality.psnr).c_str(),
                r.quality.ssim);
  }
  const GenerationRequest& q = runs.front().result.request;
  std::printf("%d frames %dx%d, %d steps, seed %llu; %s on %s; quality and speed vs %s\n", q.frames,
              q.width, q.height, q.steps, static_cast<unsigned long long>(q.seed),
              runs.front().result.modelLabel.c_str(), runs.front().result.device.c_str(),
              runs.front().label.c_str());
}

// The clip format a path names, refused when this build cannot write it.
VideoFormat writableVideoFormat(const std::string& path, const char* option) {
  VideoFormat format;
  try {
    format = videoFormatForPath(path);
  } catch (const InputError& e) {
    throw InputError(std::string(option) + ": " + e.what());
  }
  if (format == VideoFormat::Mp4 && !mp4ExportAvailable()) {
    throw InputError(std::string(option) +
                     ": this build has no FFmpeg, so it cannot write MP4; use a .y4m file or "
                     "frames/%04d.png");
  }
  return format;
}

int runCompare(CompareOptions& o) {
  const std::vector<std::string> methods = parseMethods(o.methods);
  const std::vector<std::string> labels = labelsFor(methods);

  // Every request is resolved and every output checked before the first minute of work.
  Engine engine;
  o.request.previewEvery = 0;
  std::vector<Run> runs(methods.size());
  for (size_t i = 0; i < methods.size(); ++i) {
    GenerationRequest r = o.request;
    r.attention.method = methods[i];
    runs[i].label = labels[i];
    runs[i].method = methods[i];
    runs[i].request = engine.resolve(r);
  }
  std::optional<VideoFormat> sideBySideFormat;
  if (!o.sideBySide.empty()) sideBySideFormat = writableVideoFormat(o.sideBySide, "--side-by-side");
  const std::string clipExtension = mp4ExportAvailable() ? ".mp4" : ".y4m";
  if (!o.outDir.empty()) {
    std::error_code ec;
    fs::create_directories(o.outDir, ec);
    if (ec || !fs::is_directory(o.outDir)) {
      throw InputError("--out-dir '" + o.outDir + "': cannot create the folder" +
                       (ec ? " (" + ec.message() + ")" : std::string()));
    }
  }
  // After --out-dir is created, so the side-by-side clip may go into that folder.
  ExportOptions sideBySideOptions;
  sideBySideOptions.crf = o.crf;
  sideBySideOptions.replaceFrames = o.replaceFrames;
  sideBySideOptions.metadataJson = "{}";  // the report; its size does not matter to the check
  if (sideBySideFormat) checkExportTarget(o.sideBySide, sideBySideOptions, "--side-by-side");

  // One untimed dense step of the same size first: the first generation in a process pays for
  // one-off setup (allocator, kernel selection, thread pool), which would otherwise be charged to
  // the dense reference and inflate every speedup.
  if (!o.noWarmRun) {
    if (!o.quiet) std::fprintf(stderr, "warm-up: one untimed dense step\n");
    GenerationRequest warm = runs.front().request;
    warm.steps = 1;
    ProgressReporter silent(/*quiet=*/true);
    engine.generate(warm, silent);
  }

  ExportOptions clipOptions;
  clipOptions.crf = o.crf;
  const auto cancelled = [] { return interruptRequested(); };
  for (size_t i = 0; i < runs.size(); ++i) {
    Run& run = runs[i];
    if (!o.quiet) {
      std::fprintf(stderr, "[%zu/%zu] %s\n", i + 1, runs.size(), run.label.c_str());
    }
    ProgressReporter reporter(o.quiet);
    run.result = engine.generate(run.request, reporter);
    reporter.finish();
    run.loadSeconds = stageSeconds(run.result, "load");
    run.seconds = run.result.totalSeconds - run.loadSeconds;

    const Run& ref = runs.front();
    run.quality = compareVideos(ref.result.video, run.result.video);
    run.speedup =
        run.seconds > 0 ? ref.seconds / run.seconds : std::numeric_limits<double>::quiet_NaN();
    run.attentionSpeedup = run.result.attentionSeconds > 0
                               ? ref.result.attentionSeconds / run.result.attentionSeconds
                               : std::numeric_limits<double>::quiet_NaN();

    if (!o.outDir.empty()) {
      run.clipPath = (fs::path(o.outDir) / (run.label + clipExtension)).string();
      clipOptions.metadataJson = resultMetadataJson(run.result);
      exportVideo(run.result.video, run.clipPath, clipOptions, cancelled);
    }
    if (!o.quiet) {
      std::fprintf(stderr,
                   "%s: %.1f s, attention %.1f s, density %.1f%%; PSNR %s dB, SSIM %.4f vs %s\n",
                   run.label.c_str(), run.seconds, run.result.attentionSeconds,
                   100.0 * run.result.attentionDensity, psnrText(run.quality.psnr).c_str(),
                   run.quality.ssim, ref.label.c_str());
    }
  }

  const json report = reportJson(runs, o.sideBySide, !o.noWarmRun);
  if (!o.sideBySide.empty()) {
    sideBySideOptions.metadataJson = report.dump();
    exportVideo(sideBySide(runs), o.sideBySide, sideBySideOptions, cancelled);
    if (!o.quiet) std::fprintf(stderr, "wrote %s\n", o.sideBySide.c_str());
  }
  if (!o.outDir.empty()) {
    writeFileAtomically((fs::path(o.outDir) / "compare.csv").string(), reportCsv(runs));
    writeFileAtomically((fs::path(o.outDir) / "compare.json").string(), report.dump(2) + "\n");
    if (!o.quiet) {
      std::fprintf(stderr, "wrote compare.csv, compare.json and the clips to %s\n",
                   o.outDir.c_str());
    }
  }

  if (o.json) {
    std::cout << report.dump(2) << std::endl;
  } else {
    printTable(runs);
  }
  return kExitOk;
}

}  // namespace

Command addCompareCommand(CLI::App& app) {
  auto options = std::make_shared<CompareOptions>();
  CLI::App* cmd = app.add_subcommand(
      "compare",
      "Generate one prompt and seed with several attention methods and compare each clip with "
      "the dense one: density, time, speedup, PSNR and SSIM");
  addRequestOptions(cmd, options->request, /*withSaveLatents=*/false);
  cmd->add_option("--methods", options->methods,
                  "Attention methods to run, comma-separated (" + attentionMethodList() +
                      "); dense always runs first as the reference (added when missing); a "
                      "method listed twice runs twice")
      ->capture_default_str();
  addAttentionOptions(cmd, options->request.attention, {/*withMethod=*/false, {}});
  cmd->add_option("--out-dir", options->outDir,
                  "Write compare.csv, compare.json and each method's clip (<method>.mp4, or "
                  ".y4m without FFmpeg) to this folder (created when missing)");
  cmd->add_option("--side-by-side", options->sideBySide,
                  "Write the clips of all methods next to each other, left to right in run order "
                  "(.mp4, .y4m or frames/%04d.png)");
  cmd->add_flag("--replace-frames", options->replaceFrames,
                "A PNG side-by-side may replace the frames of an earlier export in its folder");
  cmd->add_option("--crf", options->crf, "MP4 quality: 0 (lossless) to 51")
      ->check(CLI::Range(0, 51))
      ->capture_default_str();
  cmd->add_flag("--json", options->json, "Print the comparison as JSON on stdout, not the table");
  cmd->add_flag("-q,--quiet", options->quiet, "No progress output");
  cmd->add_flag("--no-warm-run", options->noWarmRun,
                "Skip the untimed one-step dense run that otherwise comes first, so that one-off "
                "setup costs are not charged to the dense reference");
  cmd->footer(
      "Times exclude loading the model. PSNR is over RGB and the "
      "whole clip; SSIM over luma, averaged over frames; identical clips show PSNR inf (written as "
      "100 in CSV and JSON, with identical=true).");
  return {cmd, [options] { return runCompare(*options); }};
}

}  // namespace svgen::cli
