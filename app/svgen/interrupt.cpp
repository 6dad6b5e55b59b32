#include "app/svgen/interrupt.h"

#include "core/common/error.h"

#include <atomic>
#include <csignal>
#include <unistd.h>

namespace svgen::cli {

namespace {

std::atomic<int> interrupts{0};

void onInterrupt(int) {
  if (interrupts.fetch_add(1) >= 1) {
    // A second Ctrl+C: the user insists. Exports write to temporary files, so nothing they had
    // is damaged by leaving now.
    _exit(kExitCancelled);
  }
}

}  // namespace

void installInterruptHandler() {
  struct sigaction sa {};
  sa.sa_handler = onInterrupt;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
}

bool interruptRequested() {
  return interrupts.load() > 0;
}

}  // namespace svgen::cli
