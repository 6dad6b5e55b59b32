// svgen generate: one clip from a prompt, written as MP4, Y4M or a PNG sequence.
#include "app/svgen/attention_options.h"
#include "app/svgen/commands.h"
#include "app/svgen/progress_reporter.h"
#include "app/svgen/request_options.h"
#include "core/common/error.h"
#include "core/io/video_export.h"
#include "core/pipeline/engine.h"
#include "core/pipeline/request_json.h"

#include <nlohmann/json.hpp>

#include <cstdio>
#include <iostream>
#include <memory>

namespace svgen::cli {

namespace {

struct GenerateOptions {
  GenerationRequest request;
  std::string out;
  int crf = 18;
  bool replaceFrames = false;
  bool json = false;
  bool quiet = false;
};

int runGenerate(GenerateOptions& o) {
  Engine engine;
  o.request.previewEvery = 0;  // the CLI shows no previews
  // Refuse bad settings and a bad output path before minutes of work.
  const GenerationRequest resolved = engine.resolve(o.request);
  ExportOptions exportOptions;
  exportOptions.crf = o.crf;
  exportOptions.replaceFrames = o.replaceFrames;
  exportOptions.metadataJson = "{}";  // known after the run; only its presence matters here
  checkExportTarget(o.out, exportOptions, "--out");
  ProgressReporter reporter(o.quiet);
  GenerationResult result = engine.generate(resolved, reporter);
  reporter.finish();

  exportOptions.metadataJson = resultMetadataJson(result);
  exportVideo(result.video, o.out, exportOptions, [&] { return reporter.isCancelled(); });

  if (o.json) {
    nlohmann::json j = nlohmann::json::parse(exportOptions.metadataJson);
    j["output"] = o.out;
    std::cout << j.dump(2) << std::endl;
  } else if (!o.quiet) {
    std::fprintf(
        stderr, "wrote %s (%d frames, %dx%d, %.1f s on %s; attention %s %.1f s, density %.1f%%)\n",
        o.out.c_str(), result.video.frames, result.video.width, result.video.height,
        result.totalSeconds, result.device.c_str(), result.request.attention.method.c_str(),
        result.attentionSeconds, 100.0 * result.attentionDensity);
  }
  if (!o.quiet)
    for (const std::string& note : result.notes) std::fprintf(stderr, "note: %s\n", note.c_str());
  // The clip is written; a side output that failed still makes the run a failure to say.
  for (const std::string& problem : result.outputProblems)
    std::fprintf(stderr, "svgen: failed: %s (the clip was written to %s)\n", problem.c_str(),
                 o.out.c_str());
  return result.outputProblems.empty() ? kExitOk : kExitRuntimeFailure;
}

}  // namespace

Command addGenerateCommand(CLI::App& app) {
  auto options = std::make_shared<GenerateOptions>();
  CLI::App* cmd = app.add_subcommand("generate", "Generate a clip from a prompt");
  addRequestOptions(cmd, options->request);
  addAttentionOptions(cmd, options->request.attention);
  cmd->add_option("--record", options->request.recordAttentionPath,
                  "Write what the attention method decided per step, layer and head (JSON)");
  cmd->add_option("-o,--out", options->out, "Output: clip.mp4, clip.y4m or frames/%04d.png")
      ->required();
  cmd->add_flag("--replace-frames", options->replaceFrames,
                "A PNG pattern's folder may hold an earlier export's frames: replace them all "
                "(without it, such a folder is refused)");
  cmd->add_option("--crf", options->crf, "MP4 quality: 0 (lossless) to 51")
      ->check(CLI::Range(0, 51))
      ->capture_default_str();
  cmd->add_flag("--json", options->json,
                "Print the result (settings, timings, output) as JSON on stdout");
  cmd->add_flag("-q,--quiet", options->quiet, "No progress output");
  return {cmd, [options] { return runGenerate(*options); }};
}

}  // namespace svgen::cli
