#include "core/pipeline/memory_plan.h"

#include <algorithm>
#include <cstdio>

namespace svgen {

namespace {

constexpr double kGiB = 1024.0 * 1024.0 * 1024.0;
constexpr double kUsable = 0.9;

std::string gib(double v) {
  char s[32];
  std::snprintf(s, sizeof s, "%.1f GiB", v);
  return s;
}

}  // namespace

double MemoryPlan::peakGiB() const {
  return std::max({encodeGiB, denoiseGiB, decodeGiB});
}

bool MemoryPlan::fits() const {
  return budgetGiB <= 0 || peakGiB() <= budgetGiB * kUsable;
}

MemoryPlan planMemory(const ModelInfo& info, const GenerationRequest& r, double budgetGiB) {
  MemoryPlan plan;
  plan.budgetGiB = budgetGiB;
  plan.tiledDecode = r.tiledDecode;
  const ModelInfo::Memory& m = info.memory;
  const auto grid = info.tokenGrid(r.frames, r.width, r.height);
  const double tokens = static_cast<double>(grid[0]) * grid[1] * grid[2];
  const bool sparse = r.attention.method != "dense";
  const int samples = runsGuidancePass(r, info) ? 2 : 1;

  auto denoise = [&] {
    const int batch = plan.guidanceInTurn ? 1 : samples;
    const bool chunked = plan.ffnInChunks && tokens > kFfnChunkTokens;
    const double extra = sparse ? m.sparseBytesPerToken : 0;
    const double attention = tokens * (m.attentionBytesPerToken + extra);
    const double ffn =
        tokens * (m.layerBytesPerToken + extra) +
        (chunked ? static_cast<double>(kFfnChunkTokens) : tokens) * m.ffnBytesPerToken;
    return m.weightsGiB + batch * std::max(attention, ffn) / kGiB;
  };
  // What stays on the device: everything, or with streamed blocks the rest and two blocks.
  auto resident = [&] {
    if (!plan.streamBlocks || m.blocks <= 0) return m.weightsGiB;
    return m.weightsGiB - m.blocksGiB + 2.0 * m.blocksGiB / m.blocks;
  };
  // A model that needs its start image plans for one before it is chosen; TI2V only with one.
  const bool encodesImage = info.imageToVideo && (!info.imageOptional || !r.imagePath.empty());
  auto update = [&] {
    const double held = resident();
    const double image = m.imageEncoderGiB + m.imageEncodeBytesPerPixel *
                                                 static_cast<double>(r.width) * r.height / kGiB;
    plan.encodeGiB =
        held + std::max(plan.textEncoderOnCpu ? 0 : m.textEncoderGiB, encodesImage ? image : 0);
    plan.denoiseGiB = denoise() - m.weightsGiB + held;
    plan.decodeGiB = held + info.decodeGiB(r.width, r.height, plan.tiledDecode);
  };
  update();
  if (budgetGiB <= 0 || m.weightsGiB <= 0) return plan;

  const double usable = budgetGiB * kUsable;
  const std::string budget = "the budget of " + gib(budgetGiB);
  if (plan.denoiseGiB > usable && tokens > kFfnChunkTokens) {
    const double before = plan.denoiseGiB;
    plan.ffnInChunks = true;
    update();
    plan.notes.push_back("feed-forward in chunks of " + std::to_string(kFfnChunkTokens) +
                         " tokens: denoising needs about " + gib(plan.denoiseGiB) + " instead of " +
                         gib(before));
  }
  if (plan.denoiseGiB > usable && samples == 2) {
    const double before = plan.denoiseGiB;
    plan.guidanceInTurn = true;
    update();
    plan.notes.push_back("the prompt and the negative prompt denoise in turn, not as one batch: " +
                         gib(plan.denoiseGiB) + " instead of " + gib(before));
  }
  if (plan.decodeGiB > usable && !plan.tiledDecode && info.decodeTile > 0) {
    const double before = plan.decodeGiB;
    plan.tiledDecode = true;
    update();
    plan.notes.push_back("decoded in tiles: " + gib(plan.decodeGiB) + " instead of " + gib(before));
  }
  if (plan.encodeGiB > usable && m.textEncoderGiB > 0) {
    const double before = plan.encodeGiB;
    plan.textEncoderOnCpu = true;
    update();
    plan.notes.push_back("the text encoder runs on the CPU: encoding needs " + gib(plan.encodeGiB) +
                         " of GPU memory instead of " + gib(before));
  }
  if (!plan.fits() && m.blocks > 0) {
    const double before = plan.peakGiB();
    plan.streamBlocks = true;
    update();
    plan.notes.push_back(
        "the denoiser's blocks stream from host memory, two on the GPU at a "
        "time: the run needs " +
        gib(plan.peakGiB()) + " instead of " + gib(before));
  }
  if (!plan.fits()) {
    plan.notes.push_back(
        "even so the run needs about " + gib(plan.peakGiB()) + ", more than " + budget +
        " allows (" + gib(usable) + " after the allocator's slack): try " +
        (plan.denoiseGiB >= plan.peakGiB() ? "fewer frames, a smaller size, " : "") +
        "fp8 or GGUF weights, or a budget of " + gib(plan.peakGiB() / kUsable));
  }
  return plan;
}

}  // namespace svgen
