// Reports a run on stderr: a live bar with ETA on a terminal, plain lines otherwise (logs, CI).
#pragma once
#include "core/pipeline/generation.h"

#include <string>

namespace svgen::cli {

class ProgressReporter : public GenerationObserver {
 public:
  explicit ProgressReporter(bool quiet);
  void onStage(const std::string& stage) override;
  void onProgress(const Progress& progress) override;
  bool isCancelled() override;
  void finish();

 private:
  bool quiet_;
  bool terminal_;
  bool barShown_ = false;
};

std::string formatDuration(double seconds);

}  // namespace svgen::cli
