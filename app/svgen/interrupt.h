// Signals. Ctrl+C (SIGINT): the first asks the run to stop cleanly (within one layer, exit 130); a
// second ends the process at once. SIGTERM and SIGHUP ask the same clean stop and end the process
// after a short grace if the command has not finished by then (a command that polls nothing, like
// inspect, ends within it), exit 128 + the signal. Every forced exit first removes the temporary
// files of exports in progress and never lands between an export's final renames
// (core/io/pending_outputs.h), so an output is either whole or untouched.
#pragma once

namespace svgen::cli {

// Seconds between SIGTERM and the forced exit.
constexpr unsigned kTerminationGraceSeconds = 2;

void installInterruptHandler();
bool interruptRequested();
// The exit code for a run that stopped because of a signal: 130 for Ctrl+C, 143 for SIGTERM,
// 129 for SIGHUP.
int interruptExitCode();

}  // namespace svgen::cli
