// SIGTERM, SIGINT and SIGHUP for the studio: a session logout or `kill` closes the window the way
// Quit does (the run is cancelled, the queue and settings are saved, exports in progress finish
// or clean up) instead of dying with the default action. The handler only writes a byte to a
// pipe; the callback runs on the UI thread. A second signal ends the process at once, after
// removing the temporaries of exports in progress (core/io/pending_outputs.h).
#pragma once
#include <functional>

class QObject;

namespace svgen::ui {

// Installs the handlers; `quit` runs on the UI thread at the first signal. Call once.
void quitOnSignals(QObject* owner, std::function<void()> quit);

}  // namespace svgen::ui
