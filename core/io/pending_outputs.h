// Outputs being written, known to the process as a whole, so that a signal that ends it (a second
// Ctrl+C, SIGTERM past its grace) removes every temporary file and staging folder first, and never
// strikes between the renames that put a multi-file export in place. Everything a signal handler
// calls here is async-signal-safe: fixed slots, atomics, unlink/rmdir/getdents.
#pragma once
#include <string>

namespace svgen {

// Lists one temporary file (or a flat staging folder) for removal by exitRemovingPendingOutputs
// while it lives. Slots are few (64); past them the path is simply not listed.
class PendingOutput {
 public:
  PendingOutput(const std::string& path, bool folder);
  ~PendingOutput();
  PendingOutput(const PendingOutput&) = delete;
  PendingOutput& operator=(const PendingOutput&) = delete;

 private:
  int slot_ = -1;
};

// While one lives (the renames that publish an export), a forced exit waits for its end, so an
// export is either wholly in place or wholly absent. Keep them short: renames only.
class CommitSection {
 public:
  CommitSection();
  ~CommitSection();
  CommitSection(const CommitSection&) = delete;
  CommitSection& operator=(const CommitSection&) = delete;
};

// From a signal handler: removes every listed output and _exits with `code`; inside a commit
// section, the last section to end does it instead. `message` (may be null) goes to stderr first.
void exitRemovingPendingOutputs(int code, const char* message) noexcept;

// Temporaries named by a process that no longer runs: `<dir>/<prefix><pid>.<anything>`. Removes
// those (files, and flat folders) so that a run killed by SIGKILL or a power cut leaves nothing
// behind for long. Errors are ignored: this is housekeeping.
void removeStaleTemporaries(const std::string& dir, const std::string& prefix);

}  // namespace svgen
