#include "ui/signal_quit.h"

#include "core/io/pending_outputs.h"

#include <QSocketNotifier>

#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <csignal>

namespace svgen::ui {

namespace {

int pipeEnds[2] = {-1, -1};
std::atomic<int> signalsSeen{0};

void onSignal(int signal) {
  if (signalsSeen.fetch_add(1) >= 1)
    exitRemovingPendingOutputs(128 + signal, "svgen-studio: stopped\n");
  const char byte = static_cast<char>(signal);
  const ssize_t ignored = ::write(pipeEnds[0], &byte, 1);
  (void)ignored;
}

}  // namespace

void quitOnSignals(QObject* owner, std::function<void()> quit) {
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pipeEnds) != 0) return;
  auto* notifier = new QSocketNotifier(pipeEnds[1], QSocketNotifier::Read, owner);
  QObject::connect(notifier, &QSocketNotifier::activated, owner, [notifier, quit] {
    char byte;
    if (::read(pipeEnds[1], &byte, 1) != 1) return;
    notifier->setEnabled(false);
    quit();
  });
  struct sigaction sa {};
  sa.sa_handler = onSignal;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = SA_RESTART;
  for (int signal : {SIGTERM, SIGINT, SIGHUP}) sigaction(signal, &sa, nullptr);
}

}  // namespace svgen::ui
