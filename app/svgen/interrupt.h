// Ctrl+C: the first press asks the run to stop cleanly (within one layer); a second press exits.
#pragma once

namespace svgen::cli {

void installInterruptHandler();
bool interruptRequested();

}  // namespace svgen::cli
