// svgen eval-prior: the built-in model's prediction from pure noise against the average of the
// clips each prompt allows (core/eval/pure_noise_prior.h). No sampling: a few forward passes.
#include "app/svgen/builtin_eval_model.h"
#include "app/svgen/commands.h"
#include "core/common/error.h"
#include "core/eval/builtin_predictors.h"
#include "core/eval/pure_noise_prior.h"
#include "core/io/atomic_file.h"
#include "core/io/video_export.h"
#include "core/sampling/sampler.h"

#include <array>
#include <cstdio>
#include <memory>

namespace svgen::cli {

namespace {

struct EvalPriorOptions {
  BuiltinEvalTarget target;
  PriorOptions prior;
  std::string sheetPath;
  // 1: the conditional prediction, which training fits to the average. Sampling guides it (2 by
  // default), which pushes colours far past the average at σ = 1: a gap of about 0.38 instead of
  // 0.002 on the shipped weights, so guided gaps say little.
  double guidance = 1;
};

int runEvalPrior(const EvalPriorOptions& o) {
  // A bad path fails before the work; a PNG sequence creates its own folder.
  if (!o.sheetPath.empty() && videoFormatForPath(o.sheetPath) != VideoFormat::PngSequence)
    checkOutputFile(o.sheetPath, "--sheet");
  const auto model = loadBuiltinForEval(o.target, "eval-prior");
  PriorOptions p = o.prior;
  p.frames = model->spec().frames;
  p.height = model->spec().height;
  p.width = model->spec().width;
  p.fps = model->spec().fps;
  // The timestep sampling starts from.
  const double timestep =
      makeSampler("unipc", model->spec().steps, model->spec().shift, p.seed)->modelTimestep(0);
  const PriorReport r =
      measurePureNoisePrior(pureNoisePredictor(*model, p, timestep, o.guidance), p);

  std::printf(
      "pure-noise prediction (timestep %g, guidance %g) against the average of %d rendered clips "
      "per prompt\n",
      timestep, o.guidance, p.renders);
  std::printf("%-9s %s\n", "shape", "gap (mean squared difference)");
  std::array<double, kShapeCount> gaps{};
  for (const PriorCase& c : r.cases) gaps[static_cast<int>(c.shape)] += c.gap / p.bases;
  for (int k = 0; k < kShapeCount; ++k)
    std::printf("%-9s %.5f\n", shapeName(static_cast<Shape>(k)), gaps[k]);
  std::printf("%-9s %.5f\n", "all", r.meanGap);
  std::printf(
      "shape fit %.3f (1: the prediction changes with the shape word as the average does; "
      "0: no better than ignoring the word)\n",
      r.shapeFit);
  std::printf("prompts (%d, each with every shape): \"%s\"", p.bases,
              r.cases.front().prompt.c_str());
  for (size_t i = kShapeCount; i < r.cases.size(); i += kShapeCount)
    std::printf(", \"%s\"", r.cases[i].prompt.c_str());
  std::printf("\n");
  if (!o.sheetPath.empty()) {
    exportVideo(r.sheet, o.sheetPath, {});
    std::printf(
        "sheet: %s (per prompt: the averages above the model's predictions, one column "
        "per shape)\n",
        o.sheetPath.c_str());
  }
  return kExitOk;
}

}  // namespace

Command addEvalPriorCommand(CLI::App& app) {
  auto o = std::make_shared<EvalPriorOptions>();
  CLI::App* cmd = app.add_subcommand(
      "eval-prior",
      "Compare the built-in model's prediction from pure noise, where sampling starts, with the "
      "average of the clips each prompt allows: how far it is (gap) and how well the shape word "
      "changes it (shape fit). No sampling, quick on a CPU");
  addBuiltinEvalOptions(cmd, o->target);
  cmd->add_option("--prompts", o->prior.bases, "One-object prompts, each asked with every shape")
      ->check(positive())
      ->capture_default_str();
  cmd->add_option("--renders", o->prior.renders, "Rendered clips averaged per prompt")
      ->check(CLI::Range(2, 4096))
      ->capture_default_str();
  cmd->add_option("--seed", o->prior.seed, "Prompt, render and noise seed")->capture_default_str();
  cmd->add_option("-g,--guidance", o->guidance,
                  "Classifier-free guidance scale; 1 (default) compares the conditional "
                  "prediction, which training fits to the average; the model's own scale shows "
                  "what sampling starts from")
      ->capture_default_str();
  cmd->add_option("--sheet", o->sheetPath,
                  "Write the averages and predictions side by side as a clip (MP4, Y4M or a "
                  "PNG sequence such as sheet/%02d.png)");
  return {cmd, [o] { return runEvalPrior(*o); }};
}

}  // namespace svgen::cli
