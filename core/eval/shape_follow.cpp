#include "core/eval/shape_follow.h"

#include "core/common/error.h"
#include "core/common/tensor_shape_text.h"
#include "core/data/shape_renderer.h"
#include "core/eval/prompt_adherence.h"

#include <ATen/ATen.h>

namespace svgen {

namespace {

// Held-in one-object scenes of a shape with corners, the shapes earlier models drew as blobs.
std::vector<SceneSpec> cornerScenes(const ShapeFollowOptions& o) {
  SceneSampler sampler(o.seed, /*heldOut=*/false);
  std::vector<SceneSpec> scenes;
  while (static_cast<int>(scenes.size()) < o.prompts) {
    const SceneSpec s = sampler.next();
    if (s.objects.size() != 1) continue;
    const Shape shape = s.objects[0].shape;
    if (shape == Shape::Circle || shape == Shape::Ring) continue;
    scenes.push_back(s);
  }
  return scenes;
}

}  // namespace

ShapeFollowReport measureShapeFollow(const NoisedPredictor& predict, const ShapeFollowOptions& o) {
  if (o.prompts < 1) throw InputError("the shape-follow check needs at least one prompt");
  if (o.sigmas.empty()) throw InputError("the shape-follow check needs at least one noise level");
  for (double s : o.sigmas)
    if (!(s > 0 && s < 1))
      throw InputError("noise levels must lie strictly between 0 and 1, got " + std::to_string(s));
  ShapeFollowReport report;
  for (double s : o.sigmas) report.levels.push_back({s, 0, 0, 0});
  const std::vector<int64_t> expected{2, 3, o.frames, o.height, o.width};
  uint64_t index = 0;
  for (const SceneSpec& scene : cornerScenes(o)) {
    const uint64_t noiseSeed = o.seed * 1000003u + index++;
    SceneSpec circle = scene;
    circle.objects[0].shape = Shape::Circle;
    // Row 0 shows a circle, row 1 the prompt's shape; both are asked for the prompt's shape.
    const at::Tensor clean = renderScenes({circle, scene}, o.frames, o.height, o.width, at::kCPU);
    ShapeFollowCase c;
    c.prompt = sceneToPrompt(scene);
    c.shape = scene.objects[0].shape;
    for (ShapeFollowLevel& level : report.levels) {
      const at::Tensor p =
          predict(clean, level.sigma, {c.prompt, c.prompt}, noiseSeed).to(at::kCPU, at::kFloat);
      if (p.sizes().vec() != expected)
        throw InputError("the shape-follow check expected predictions of shape " +
                         shapeText(expected) + ", got " + shapeText(p.sizes().vec()));
      const at::Tensor fromCirclePixels = p[0].clamp(-1, 1);
      const ObjectScore fromCircle = scoreClip(scene, fromCirclePixels).objects[0];
      const ObjectScore fromTrue = scoreClip(scene, p[1].clamp(-1, 1)).objects[0];
      level.rightFromCircle += fromCircle.shape == Verdict::Correct;
      level.rightFromTrue += fromTrue.shape == Verdict::Correct;
      c.drawnFromCircle.push_back(fromCircle.predictedShape);
      c.drawnFromTrue.push_back(fromTrue.predictedShape);
      // Only where the two shapes differ: elsewhere both distances grow alike.
      const at::Tensor differ = (clean[0] - clean[1]).abs().gt(1e-6);
      const double toCircle =
          (fromCirclePixels - clean[0]).pow(2).masked_select(differ).sum().item<double>();
      const double toTrue =
          (fromCirclePixels - clean[1]).pow(2).masked_select(differ).sum().item<double>();
      level.pull += toCircle + toTrue > 0 ? toCircle / (toCircle + toTrue) : 0.5;
    }
    report.cases.push_back(std::move(c));
  }
  for (ShapeFollowLevel& level : report.levels) level.pull /= o.prompts;
  return report;
}

}  // namespace svgen
