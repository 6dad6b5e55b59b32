// Error kinds the CLI and the studio tell apart: each maps to its own exit code and dialog.
#pragma once
#include <stdexcept>
#include <string>

namespace svgen {

// Something the user gave is wrong: a file, a setting, a prompt word. Nothing ran yet.
class InputError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// The work could not finish: out of memory, disk full, a device failure.
class RuntimeFailure : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// The user asked to stop. Carries no blame; partial outputs are removed.
class Cancelled : public std::runtime_error {
 public:
  Cancelled() : std::runtime_error("cancelled") {}
};

// Exit codes of the CLI, documented in README.
enum ExitCode : int {
  kExitOk = 0,
  kExitInputError = 2,
  kExitRuntimeFailure = 3,
  kExitCancelled = 130,
};

}  // namespace svgen
