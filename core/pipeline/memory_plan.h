// How a run fits a GPU memory budget (--vram, or the card itself): what each stage is expected to
// hold, from the model's sizes before anything loads, and which levers the run pulls to fit,
// cheapest first. Plain data and arithmetic: the studio shows the same estimate before a run.
#pragma once
#include "core/model/model_info.h"
#include "core/pipeline/generation.h"

#include <string>
#include <vector>

namespace svgen {

struct MemoryPlan {
  double budgetGiB = 0;  // what was planned for; 0: no budget (the CPU, or nothing known)
  // The levers, in the order they are pulled. Each costs little where it is chosen:
  bool ffnInChunks = false;       // the feed-forward over 4,096 tokens at a time (no slower)
  bool guidanceInTurn = false;    // the prompt's and the negative prompt's passes one after the
                                  // other instead of one batch of two (as fast at large sizes)
  bool tiledDecode = false;       // the VAE in overlapping tiles (a little slower)
  bool textEncoderOnCpu = false;  // umT5 on the CPU (seconds more per prompt)
  bool streamBlocks = false;      // the denoiser's blocks streamed from host memory, one ahead (its
                                  // copy hides under the previous block's compute)
  // Peaks expected per stage under these choices, weights included; 0 where nothing is known.
  double encodeGiB = 0, denoiseGiB = 0, decodeGiB = 0;
  // One line per lever pulled, and one when even all of them leave the run over budget.
  std::vector<std::string> notes;

  double peakGiB() const;
  // Every stage's estimate within the budget (true without a budget).
  bool fits() const;
};

// Tokens per feed-forward chunk when ffnInChunks.
constexpr int64_t kFfnChunkTokens = 4096;

// The plan for a resolved request (frames, size, guidance and method filled in) on a device with
// `budgetGiB` to spend (0: none, nothing is chosen but what the request asks). A lever is pulled
// only when a stage would otherwise pass 90% of the budget (the rest is the allocator's slack).
MemoryPlan planMemory(const ModelInfo& info, const GenerationRequest& r, double budgetGiB);

}  // namespace svgen
