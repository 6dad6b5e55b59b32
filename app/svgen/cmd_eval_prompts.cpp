// svgen eval-prompts: how well a model's clips follow their prompts, on held-in and held-out
// prompts of the built-in grammar. The rules are in core/eval/prompt_adherence.h.
#include "app/svgen/commands.h"
#include "app/svgen/interrupt.h"
#include "core/sampling/sampler_names.h"
#include "app/svgen/progress_reporter.h"
#include "core/common/error.h"
#include "core/eval/prompt_adherence.h"
#include "core/io/atomic_file.h"
#include "core/io/video_export.h"
#include "core/pipeline/engine.h"
#include "core/pipeline/request_json.h"

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <unistd.h>

namespace svgen::cli {

namespace {

namespace fs = std::filesystem;

struct EvalPromptsOptions {
  EvalOptions eval;
  std::string jsonPath;
  std::string saveDir;
};

// Shows the denoising step of the clip being made on a terminal (one line, overwritten); logs get
// only the per-clip lines. Ctrl+C stops the run.
class StepLine : public GenerationObserver {
 public:
  explicit StepLine(std::string announcement)
      : terminal_(isatty(STDERR_FILENO) != 0), announcement_(std::move(announcement)) {}
  // The first stage comes after every request was checked: a run that starts.
  void onStage(const std::string&) override {
    if (announcement_.empty()) return;
    std::fprintf(stderr, "%s\n", announcement_.c_str());
    announcement_.clear();
  }
  void setClip(int index, int total) {
    index_ = index;
    total_ = total;
  }
  void onProgress(const Progress& p) override {
    if (!terminal_) return;
    std::fprintf(stderr, "\r[%*d/%d] step %d/%d ", width(), index_, total_, p.step, p.totalSteps);
    std::fflush(stderr);
    shown_ = true;
  }
  bool isCancelled() override { return interruptRequested(); }
  void clear() {
    if (shown_) std::fprintf(stderr, "\r\033[K");
    shown_ = false;
  }
  int width() const { return static_cast<int>(std::to_string(total_).size()); }

 private:
  bool terminal_;
  std::string announcement_;
  bool shown_ = false;
  int index_ = 0, total_ = 0;
};

const char* mark(Verdict v) {
  switch (v) {
    case Verdict::Correct:
      return "ok";
    case Verdict::NotApplicable:
      return "n/a";
    default:
      return "NO";
  }
}

std::string clipLine(const ClipResult& c) {
  std::string s =
      std::string(c.heldOut ? "held-out" : "held-in ") + "  bg " + mark(c.score.background);
  for (const auto& o : c.score.objects) {
    s += std::string(" | colour ") + mark(o.color) + " shape " + mark(o.shape);
    if (o.shape == Verdict::Wrong && o.predictedShape >= 0) {
      s += std::string(" (") + shapeName(static_cast<Shape>(o.predictedShape)) + ")";
    }
    s += std::string(" motion ") + mark(o.motion);
  }
  return s;
}

std::string cell(const AttributeTally& t) {
  char buf[48];
  if (t.scored == 0) {
    std::snprintf(buf, sizeof buf, "%15s", "-");
  } else {
    std::snprintf(buf, sizeof buf, "%6d/%-3d %5.1f%%", t.correct, t.scored, 100 * t.accuracy());
  }
  return buf;
}

AttributeTally sum(const AttributeTally& a, const AttributeTally& b) {
  return {a.correct + b.correct, a.scored + b.scored};
}

void printTable(const EvalReport& r) {
  const AdherenceSummary& in = r.heldIn;
  const AdherenceSummary& out = r.heldOut;
  std::printf("%-22s %15s %15s %15s\n", "attribute", "held-in", "held-out", "total");
  const std::pair<const char*, AttributeTally AdherenceSummary::*> rows[] = {
      {"background", &AdherenceSummary::background},
      {"object colour", &AdherenceSummary::color},
      {"shape", &AdherenceSummary::shape},
      {"motion", &AdherenceSummary::motion},
      {"shape (colour found)", &AdherenceSummary::shapeWhenFound},
      {"motion (colour found)", &AdherenceSummary::motionWhenFound},
      {"all correct (clips)", &AdherenceSummary::all},
  };
  for (const auto& [name, field] : rows) {
    std::printf("%-22s %s %s %s\n", name, cell(in.*field).c_str(), cell(out.*field).c_str(),
                cell(sum(in.*field, out.*field)).c_str());
  }
  const int clips = in.clips + out.clips;
  std::printf("%d clips (%d held-in, %d held-out), %d objects; %s, %.1f s per clip; %s on %s\n",
              clips, in.clips, out.clips, in.objects + out.objects,
              formatDuration(r.seconds).c_str(), clips > 0 ? r.seconds / clips : 0.0,
              r.modelLabel.c_str(), r.device.c_str());
  std::printf("settings: %s, %d steps, guidance %g, shift %g, %d frames, %dx%d, seed %llu\n",
              r.request.sampler.c_str(), r.request.steps, r.request.guidance, r.request.shift,
              r.request.frames, r.request.width, r.request.height,
              static_cast<unsigned long long>(r.options.seed));
}

int runEvalPrompts(EvalPromptsOptions& o) {
  if (!o.jsonPath.empty()) checkOutputFile(o.jsonPath, "--json");
  std::string clipExtension = mp4ExportAvailable() ? ".mp4" : ".y4m";
  std::unique_ptr<std::ofstream> promptsFile;
  if (!o.saveDir.empty()) {
    std::error_code ec;
    fs::create_directories(o.saveDir, ec);
    if (ec || !fs::is_directory(o.saveDir)) {
      throw InputError("--save-dir '" + o.saveDir + "': cannot create the folder (" + ec.message() +
                       ")");
    }
    // Written a line at a time, so the clips of an interrupted run are still labelled.
    promptsFile = std::make_unique<std::ofstream>(fs::path(o.saveDir) / "prompts.txt");
    if (!*promptsFile) throw RuntimeFailure("cannot write " + o.saveDir + "/prompts.txt");
    *promptsFile << "# file\tsplit\tseed\tprompt\n";
  }

  Engine engine;
  const int total = o.eval.heldInCount + o.eval.heldOutCount;
  StepLine steps("evaluating " + std::to_string(total) + " prompts (" +
                 std::to_string(o.eval.heldInCount) + " held-in, " +
                 std::to_string(o.eval.heldOutCount) + " held-out)...");
  steps.setClip(1, total);
  auto onClip = [&](const ClipResult& c, const GenerationResult& g, int done, int n) {
    steps.clear();
    std::fprintf(stderr, "[%*d/%d] %5.1f s  %s  \"%s\"\n", steps.width(), done, n, c.seconds,
                 clipLine(c).c_str(), c.prompt.c_str());
    if (promptsFile) {
      char name[32];
      std::snprintf(name, sizeof name, "clip_%03d%s", c.index, clipExtension.c_str());
      ExportOptions e;
      e.metadataJson = resultMetadataJson(g);
      exportVideo(g.video, (fs::path(o.saveDir) / name).string(), e,
                  [] { return interruptRequested(); });
      *promptsFile << name << '\t' << (c.heldOut ? "held-out" : "held-in") << '\t' << c.seed << '\t'
                   << c.prompt << std::endl;
    }
    steps.setClip(done + 1, n);
  };
  const EvalReport report = evaluatePromptAdherence(engine, o.eval, onClip, &steps);
  steps.clear();

  printTable(report);
  if (!o.jsonPath.empty()) {
    writeFileAtomically(o.jsonPath, evalReportToJson(report) + "\n");
    std::fprintf(stderr, "wrote %s\n", o.jsonPath.c_str());
  }
  if (!o.saveDir.empty()) {
    std::fprintf(stderr, "clips and prompts.txt in %s\n", o.saveDir.c_str());
  }
  return kExitOk;
}

}  // namespace

Command addEvalPromptsCommand(CLI::App& app) {
  auto options = std::make_shared<EvalPromptsOptions>();
  EvalOptions& e = options->eval;
  CLI::App* cmd = app.add_subcommand(
      "eval-prompts",
      "Measure how well generated clips follow their prompts (background, colour, shape, motion) "
      "on held-in and held-out prompts of the built-in grammar");
  cmd->add_option("-m,--model", e.model, "\"builtin\" or a model folder")->capture_default_str();
  cmd->add_option("--count", e.heldInCount, "Held-in prompts (combinations seen in training)")
      ->check(nonNegative())
      ->capture_default_str();
  cmd->add_option("--heldout-count", e.heldOutCount,
                  "Held-out prompts (colour-shape-motion combinations kept out of training)")
      ->check(nonNegative())
      ->capture_default_str();
  cmd->add_option("--seed", e.seed, "Prompt sampling seed; clip k is generated with seed + k")
      ->capture_default_str();
  cmd->add_option("-s,--steps", e.steps, "Denoising steps (0: the model's default)")
      ->check(nonNegative());
  cmd->add_option("-g,--guidance", e.guidance,
                  "Classifier-free guidance scale (default: the model's)");
  cmd->add_option("--shift", e.shift, "Flow-matching sigma shift (default: the model's)");
  cmd->add_option("--sampler", e.sampler, "unipc, euler, dpm++ or ancestral")
      ->check(CLI::IsMember(samplerNames()))
      ->capture_default_str();
  cmd->add_option("-f,--frames", e.frames, "Frames (0: the model's default)")->check(nonNegative());
  cmd->add_option("-t,--threads", e.threads, "CPU threads (0: all cores)")->check(nonNegative());
  cmd->add_option("-d,--device", e.device, "auto, cpu, cuda or cuda:N")->capture_default_str();
  cmd->add_flag("--two-objects", e.twoObjects,
                "Include two-object prompts (the sampler's mix, about 35%); by default every "
                "prompt has one object");
  cmd->add_option("--json", options->jsonPath,
                  "Write every clip's verdicts and measurements and the summary to this file");
  cmd->add_option("--save-dir", options->saveDir,
                  "Write each clip (MP4, or Y4M without FFmpeg) and prompts.txt to this folder");
  return {cmd, [options] { return runEvalPrompts(*options); }};
}

}  // namespace svgen::cli
