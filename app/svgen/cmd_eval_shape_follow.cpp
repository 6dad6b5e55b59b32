// svgen eval-shape-follow: does the built-in model draw the prompt's shape when its input shows a
// circle (core/eval/shape_follow.h)? No sampling: two forward passes per prompt and noise level.
#include "app/svgen/builtin_eval_model.h"
#include "app/svgen/commands.h"
#include "app/svgen/noise_level_option.h"
#include "core/common/error.h"
#include "core/eval/builtin_predictors.h"
#include "core/eval/shape_follow.h"
#include "core/io/atomic_file.h"

#include <nlohmann/json.hpp>

#include <array>
#include <cstdio>
#include <memory>

namespace svgen::cli {

namespace {

struct EvalShapeFollowOptions {
  BuiltinEvalTarget target;
  ShapeFollowOptions follow;
  double guidance = 1;  // 1: the conditional prediction, which training fits
  std::string jsonPath;
};

const char* drawnName(int shape) {
  return shape < 0 ? "none" : shapeName(static_cast<Shape>(shape));
}

nlohmann::json reportToJson(const ShapeFollowReport& r, const EvalShapeFollowOptions& o) {
  nlohmann::json j;
  j["model"] = o.target.model;
  j["guidance"] = o.guidance;
  j["seed"] = o.follow.seed;
  for (const ShapeFollowLevel& l : r.levels)
    j["levels"].push_back({{"sigma", l.sigma},
                           {"right_from_circle", l.rightFromCircle},
                           {"right_from_rendered", l.rightFromTrue},
                           {"pull", l.pull}});
  for (const ShapeFollowCase& c : r.cases) {
    nlohmann::json fromCircle = nlohmann::json::array(), fromTrue = nlohmann::json::array();
    for (int s : c.drawnFromCircle) fromCircle.push_back(drawnName(s));
    for (int s : c.drawnFromTrue) fromTrue.push_back(drawnName(s));
    j["cases"].push_back({{"prompt", c.prompt},
                          {"shape", shapeName(c.shape)},
                          {"drawn_from_circle", fromCircle},
                          {"drawn_from_rendered", fromTrue}});
  }
  return j;
}

int runEvalShapeFollow(const EvalShapeFollowOptions& o) {
  if (!o.jsonPath.empty()) checkOutputFile(o.jsonPath, "--json");
  const auto model = loadBuiltinForEval(o.target, "eval-shape-follow");
  ShapeFollowOptions f = o.follow;
  f.frames = model->spec().frames;
  f.height = model->spec().height;
  f.width = model->spec().width;
  const ShapeFollowReport r = measureShapeFollow(noisedPredictor(*model, o.guidance), f);

  std::printf(
      "shape follow-through: %d held-in prompts of a square, triangle or star, each noised once "
      "as rendered and once redrawn as a circle; predictions scored by the eval-prompts shape "
      "rule (guidance %g)\n",
      f.prompts, o.guidance);
  std::printf("%-6s %-12s %-14s %-6s %s\n", "sigma", "from circle", "from rendered", "pull",
              "drawn from the circle");
  for (size_t k = 0; k < r.levels.size(); ++k) {
    const ShapeFollowLevel& l = r.levels[k];
    std::array<int, kShapeCount + 1> drawn{};  // the last counts "none"
    for (const ShapeFollowCase& c : r.cases) {
      const int s = c.drawnFromCircle[k];
      ++drawn[s < 0 ? kShapeCount : s];
    }
    std::string seen;
    for (int s = 0; s <= kShapeCount; ++s)
      if (drawn[s] > 0)
        seen += (seen.empty() ? "" : ", ") + std::string(drawnName(s < kShapeCount ? s : -1)) +
                " " + std::to_string(drawn[s]);
    std::printf("%-6.2f %3d/%-8d %3d/%-10d %-6.3f %s\n", l.sigma, l.rightFromCircle, f.prompts,
                l.rightFromTrue, f.prompts, l.pull, seen.c_str());
  }
  std::printf(
      "pull: above 0.5 the prediction from the circle is nearer the prompt's shape than the "
      "circle\n");
  if (!o.jsonPath.empty()) {
    writeFileAtomically(o.jsonPath, reportToJson(r, o).dump(2) + "\n");
    std::fprintf(stderr, "wrote %s\n", o.jsonPath.c_str());
  }
  return kExitOk;
}

}  // namespace

Command addEvalShapeFollowCommand(CLI::App& app) {
  auto o = std::make_shared<EvalShapeFollowOptions>();
  CLI::App* cmd = app.add_subcommand(
      "eval-shape-follow",
      "Noise clips of squares, triangles and stars, once as rendered and once redrawn as circles, "
      "and score the built-in model's clean-clip prediction: does it draw the prompt's shape or "
      "copy the circle it was shown? Per noise level; no sampling");
  addBuiltinEvalOptions(cmd, o->target);
  cmd->add_option("--prompts", o->follow.prompts, "Held-in one-object prompts")
      ->check(positive())
      ->capture_default_str();
  cmd->add_option("--sigmas", o->follow.sigmas, "Noise levels, each strictly between 0 and 1")
      ->delimiter(',')
      ->check(noiseLevelCheck(false))
      ->capture_default_str();
  cmd->add_option("--seed", o->follow.seed, "Prompt and noise seed")->capture_default_str();
  cmd->add_option("-g,--guidance", o->guidance,
                  "Classifier-free guidance scale (1: the conditional prediction)")
      ->capture_default_str();
  cmd->add_option("--json", o->jsonPath, "Write every prompt's verdicts and the levels as JSON");
  return {cmd, [o] { return runEvalShapeFollow(*o); }};
}

}  // namespace svgen::cli
