#include "app/svgen/interrupt.h"

#include "core/common/error.h"
#include "core/io/pending_outputs.h"

#include <atomic>
#include <csignal>
#include <unistd.h>

namespace svgen::cli {

namespace {

std::atomic<int> interrupts{0};
std::atomic<int> stopSignal{0};  // the first signal that asked to stop

int exitCodeFor(int signal) {
  return signal == SIGINT ? kExitCancelled : 128 + signal;
}

void onSignal(int signal) {
  if (signal == SIGALRM) {
    exitRemovingPendingOutputs(exitCodeFor(stopSignal.load()),
                               "\nsvgen: stopped (the command did not finish in its grace time)\n");
    return;
  }
  int expected = 0;
  stopSignal.compare_exchange_strong(expected, signal);
  if (interrupts.fetch_add(1) >= 1) {
    // Asked again: the user insists. Exports write to temporary files, removed here, so nothing
    // they had is damaged by leaving now.
    exitRemovingPendingOutputs(exitCodeFor(stopSignal.load()), "\nsvgen: stopped\n");
    return;
  }
  // A service manager's SIGTERM gets no second press: the clean stop has a deadline.
  if (signal != SIGINT) ::alarm(kTerminationGraceSeconds);
}

}  // namespace

void installInterruptHandler() {
  struct sigaction sa {};
  sa.sa_handler = onSignal;
  sigemptyset(&sa.sa_mask);
  for (int signal : {SIGINT, SIGTERM, SIGHUP, SIGALRM}) sigaction(signal, &sa, nullptr);
}

bool interruptRequested() {
  return interrupts.load() > 0;
}

int interruptExitCode() {
  const int signal = stopSignal.load();
  return signal == 0 ? kExitCancelled : exitCodeFor(signal);
}

}  // namespace svgen::cli
