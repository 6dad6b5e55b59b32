// svgen profile: SVOO's offline step. Runs the model densely on a few prompts, measures how few
// keys hold 95% of the attention per step, layer and head, and writes the per-layer table that
// `--attention svoo` reads (by default next to the model).
#include "app/svgen/commands.h"
#include "app/svgen/progress_reporter.h"
#include "core/attention/svoo/svoo_profile.h"
#include "core/attention/warmup.h"
#include "core/common/error.h"
#include "core/io/atomic_file.h"
#include "core/pipeline/engine.h"

#include <cstdio>
#include <iostream>
#include <memory>

namespace svgen::cli {

namespace {

struct ProfileOptions {
  GenerationRequest request;
  std::vector<std::string> prompts = {"a red circle moving right on a blue background",
                                      "a yellow star spinning on a purple background",
                                      "a green square moving up and a white ring moving left on "
                                      "a black background"};
  double mass = 0.95;
  std::string out;
  bool quiet = false;
};

int runProfile(ProfileOptions& o) {
  Engine engine;
  std::vector<GenerationRequest> requests;
  for (const std::string& p : o.prompts) {
    GenerationRequest r = o.request;
    r.prompt = p;
    r.previewEvery = 0;
    requests.push_back(engine.resolve(r));  // every prompt checked before minutes of work
  }
  std::string out = o.out;
  if (out.empty()) {
    const ModelInfo info = engine.describeModel(o.request.model);
    if (info.directory.empty())
      throw InputError("this model has no folder to keep its profile in: pass --out FILE");
    out = defaultSvooProfilePath(info.directory);
  }
  ProgressReporter reporter(o.quiet);
  SvooProfile profile = engine.profileSparsity(requests, o.mass, reporter);
  reporter.finish();
  writeFileAtomically(out, svooProfileToJson(profile) + "\n");
  std::printf("layer  key fraction holding %.0f%% of the attention (mean over heads, steps %d+)\n",
              100 * o.mass,
              static_cast<int>(AttentionConfig().get(warmup::fraction) * profile.steps + 0.5));
  for (size_t l = 0; l < profile.keyFraction.size(); ++l)
    std::printf("%5zu  %.3f\n", l, profile.keyFraction[l]);
  std::printf("wrote %s\n", out.c_str());
  return kExitOk;
}

}  // namespace

Command addProfileCommand(CLI::App& app) {
  auto o = std::make_shared<ProfileOptions>();
  CLI::App* cmd = app.add_subcommand(
      "profile", "Measure per-layer attention sparsity for SVOO and write its table");
  cmd->add_option("-m,--model", o->request.model, "\"builtin\" or a model folder")
      ->capture_default_str();
  cmd->add_option("-p,--prompt", o->prompts, "Prompts to measure on (repeat the option)");
  cmd->add_option("-s,--steps", o->request.steps, "Denoising steps (0: the model's default)");
  cmd->add_option("-f,--frames", o->request.frames, "Frames (0: default)");
  cmd->add_option("-W,--width", o->request.width, "Width (0: default)");
  cmd->add_option("-H,--height", o->request.height, "Height (0: default)");
  cmd->add_option("--seed", o->request.seed, "Random seed")->capture_default_str();
  cmd->add_option("-d,--device", o->request.device, "auto, cpu, cuda or cuda:N")
      ->capture_default_str();
  cmd->add_option("--mass", o->mass, "Attention mass the key fraction must hold")
      ->capture_default_str();
  cmd->add_option("-o,--out", o->out,
                  "Table to write (default: svoo_profile.json in the model folder)");
  cmd->add_flag("--structured-attention", o->request.structuredAttention,
                "Speed runs on random weights: profile heads rewritten to attend like a trained "
                "model's, so SVOO's budgets can be timed on them (as generate's option; the table "
                "means nothing for quality)");
  cmd->add_flag("-q,--quiet", o->quiet, "No progress output");
  return {cmd, [o] { return runProfile(*o); }};
}

}  // namespace svgen::cli
