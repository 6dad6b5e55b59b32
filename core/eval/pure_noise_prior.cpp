#include "core/eval/pure_noise_prior.h"

#include "core/common/error.h"
#include "core/common/tensor_shape_text.h"
#include "core/data/shape_renderer.h"
#include "core/model/video_frames.h"

#include <ATen/ATen.h>

namespace svgen {

namespace {

// Held-in one-object scenes whose every shape variant is held in and can make the motion.
std::vector<SceneSpec> baseScenes(const PriorOptions& o) {
  SceneSampler sampler(o.seed, /*heldOut=*/false);
  std::vector<SceneSpec> bases;
  while (static_cast<int>(bases.size()) < o.bases) {
    const SceneSpec s = sampler.next();
    if (s.objects.size() != 1) continue;
    bool usable = true;
    for (int k = 0; k < kShapeCount; ++k) {
      ObjectSpec v = s.objects[0];
      v.shape = static_cast<Shape>(k);
      usable = usable && !isHeldOut(v) && motionIsVisible(v.shape, v.motion);
    }
    if (usable) bases.push_back(s);
  }
  return bases;
}

// The five shape variants of a base share their render seeds, so that their averages differ by the
// shape only, not by where the finitely many renders put the object.
at::Tensor averageClip(const std::string& prompt, const PriorOptions& o, uint64_t base) {
  std::vector<SceneSpec> scenes;
  for (int r = 0; r < o.renders; ++r)
    scenes.push_back(sceneFromPrompt(prompt, o.seed * 1000003u + base * 10007u + r));
  return renderScenes(scenes, o.frames, o.height, o.width, at::kCPU).mean(0);
}

// (3, T, H, W) tiles, rows × columns, as one (3, T, H·rows, W·columns) clip.
at::Tensor tiled(const std::vector<std::vector<at::Tensor>>& rows) {
  std::vector<at::Tensor> stacked;
  for (const auto& row : rows) stacked.push_back(at::cat(row, 3));
  return at::cat(stacked, 2);
}

}  // namespace

PriorReport measurePureNoisePrior(const PureNoisePredictor& predict, const PriorOptions& o) {
  if (o.bases < 1) throw InputError("the prior check needs at least one prompt");
  if (o.renders < 2 || o.renders > 10007)
    throw InputError("the prior check needs 2 to 10007 renders per prompt, got " +
                     std::to_string(o.renders));
  PriorReport report;
  double misfit = 0, shapePart = 0, gapSum = 0;
  std::vector<std::vector<at::Tensor>> rows;
  uint64_t index = 0;
  for (const SceneSpec& base : baseScenes(o)) {
    std::vector<std::string> prompts;
    std::vector<at::Tensor> averages;
    for (int k = 0; k < kShapeCount; ++k) {
      SceneSpec variant = base;
      variant.objects[0].shape = static_cast<Shape>(k);
      prompts.push_back(sceneToPrompt(variant));
      averages.push_back(averageClip(prompts.back(), o, index));
    }
    ++index;
    const at::Tensor predicted = predict(prompts).to(at::kCPU, at::kFloat);
    const std::vector<int64_t> expected{kShapeCount, 3, o.frames, o.height, o.width};
    if (predicted.sizes().vec() != expected)
      throw InputError("the prior check expected predictions of shape " + shapeText(expected) +
                       ", got " + shapeText(predicted.sizes().vec()));
    std::vector<at::Tensor> predictions;
    for (int k = 0; k < kShapeCount; ++k) {
      predictions.push_back(predicted[k]);
      const double gap = (predicted[k] - averages[k]).pow(2).mean().item<double>();
      report.cases.push_back({prompts[k], static_cast<Shape>(k), gap});
      gapSum += gap;
    }
    const at::Tensor a = at::stack(averages);
    const at::Tensor aPart = a - a.mean(0, true);
    const at::Tensor mPart = predicted - predicted.mean(0, true);
    misfit += (mPart - aPart).pow(2).sum().item<double>();
    shapePart += aPart.pow(2).sum().item<double>();
    rows.push_back(averages);
    rows.push_back(predictions);
  }
  report.meanGap = gapSum / static_cast<double>(report.cases.size());
  report.shapeFit = shapePart > 0 ? 1 - misfit / shapePart : 0;
  report.sheet = videoFromUnitRange(tiled(rows), o.frames, o.fps);
  return report;
}

}  // namespace svgen
