// The small clip the studio tests run through the real worker: 4 frames of 64×64, 2 steps on the
// CPU, the seed locked so that a rerun draws the same clip.
#pragma once
#include "core/attention/clustering/cluster_parameters.h"
#include "core/attention/warmup.h"
#include "core/pipeline/generation.h"
#include "ui/main_window.h"
#include "ui/prompt_panel.h"
#include "ui/sparsity_panel.h"
#include "ui/studio_controller.h"

#include <QSignalSpy>
#include <QtTest>

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

// Generates the window's clip with `method` (every step sparse, top-p 0.5) through the real
// worker and returns the outcome; an empty one, with the reason logged, when the run failed.
inline ui::RunOutcome runWithMethod(ui::MainWindow& window, const std::string& method) {
  AttentionConfig a = window.sparsityPanel()->config();
  a.method = method;
  a.set(warmup::fraction, 0);
  a.set(clustering::topP, 0.5);
  window.sparsityPanel()->setConfig(a);
  QSignalSpy finished(window.controller(), &ui::StudioController::finished);
  QSignalSpy failed(window.controller(), &ui::StudioController::failed);
  window.generate();
  if (!QTest::qWaitFor([&] { return finished.count() + failed.count() > 0; }, 240000)) return {};
  if (!failed.isEmpty()) qWarning("%s", qPrintable(failed.first().at(1).toString()));
  return failed.isEmpty() ? finished.first().first().value<ui::RunOutcome>() : ui::RunOutcome{};
}

}  // namespace svgen::test
