// The small clip the studio tests run through the real worker: 4 frames of 64×64, 2 steps on the
// CPU, the seed locked so that a rerun draws the same clip.
#pragma once
#include "core/pipeline/generation.h"
#include "ui/main_window.h"
#include "ui/prompt_panel.h"

#include <cstdint>
#include <string>

namespace svgen::test {

// Puts the clip into the window's prompt panel and returns the request as set there.
inline GenerationRequest useSmallClip(ui::MainWindow& window, const std::string& prompt,
                                      uint64_t seed) {
  GenerationRequest request = window.promptPanel()->request();
  request.prompt = prompt;
  request.negativePrompt.clear();
  request.frames = 4;
  request.width = request.height = 64;
  request.steps = 2;
  request.seed = seed;
  request.device = "cpu";
  window.promptPanel()->setSeedLocked(true);
  window.promptPanel()->setRequest(request);
  return request;
}

}  // namespace svgen::test
