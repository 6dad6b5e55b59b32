#include "app/svgen/progress_reporter.h"

#include "app/svgen/interrupt.h"

#include <cstdio>
#include <unistd.h>

namespace svgen::cli {

std::string formatDuration(double seconds) {
  if (seconds < 0) return "--:--";
  const long s = static_cast<long>(seconds + 0.5);
  char buf[32];
  if (s >= 3600) {
    std::snprintf(buf, sizeof buf, "%ld:%02ld:%02ld", s / 3600, (s / 60) % 60, s % 60);
  } else {
    std::snprintf(buf, sizeof buf, "%02ld:%02ld", s / 60, s % 60);
  }
  return buf;
}

ProgressReporter::ProgressReporter(bool quiet)
    : quiet_(quiet), terminal_(isatty(STDERR_FILENO) != 0) {}

void ProgressReporter::onStage(const std::string& stage) {
  if (quiet_) return;
  if (barShown_) std::fputc('\n', stderr);
  barShown_ = false;
  std::fprintf(stderr, "%s...\n", stage.c_str());
}

void ProgressReporter::onProgress(const Progress& p) {
  if (quiet_) return;
  const std::string elapsed = formatDuration(p.elapsedSeconds);
  const std::string eta = formatDuration(p.etaSeconds);
  if (terminal_) {
    constexpr int kWidth = 30;
    const int filled = p.totalSteps > 0 ? kWidth * p.step / p.totalSteps : 0;
    std::string bar(filled, '#');
    bar.resize(kWidth, '.');
    std::fprintf(stderr, "\r[%s] step %d/%d  %s elapsed  ETA %s ", bar.c_str(), p.step,
                 p.totalSteps, elapsed.c_str(), eta.c_str());
    barShown_ = true;
  } else {
    std::fprintf(stderr, "step %d/%d elapsed %s eta %s\n", p.step, p.totalSteps, elapsed.c_str(),
                 eta.c_str());
  }
  std::fflush(stderr);
}

bool ProgressReporter::isCancelled() {
  return interruptRequested();
}

void ProgressReporter::finish() {
  if (barShown_) std::fputc('\n', stderr);
  barShown_ = false;
}

}  // namespace svgen::cli
