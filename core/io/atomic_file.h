// Replace-on-success file writing: every export goes to a hidden temporary file beside the target
// and is renamed over it only once fully written, so a crash, a full disk or a cancel never leaves
// a half-written clip or damages the file that was there before.
#pragma once
#include <cstdio>
#include <functional>
#include <initializer_list>
#include <memory>
#include <string>

namespace svgen {

class PendingOutput;

// Owns one temporary file next to `target`. The destructor removes the temporary unless commit()
// ran, so every early exit (exception, cancel) cleans up on its own; a signal that ends the
// process removes it too (core/io/pending_outputs.h), and the next export to the same target
// removes any left by a process that was killed outright.
//
// Links: a target that is a symbolic link is written through: the file it leads to is replaced
// and the link stays (a dangling link gets its file created). A target that is, or leads to,
// anything but a regular file (a folder, /dev/null, a pipe) is refused with InputError.
class AtomicFile {
 public:
  // Creates `<dir>/.<name>.tmp-<pid>.<random>` beside the resolved target (O_EXCL, mode 0666
  // minus umask). Throws RuntimeFailure with the path and strerror when the folder is missing or
  // not writable.
  explicit AtomicFile(std::string target);
  ~AtomicFile();
  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;

  const std::string& target() const { return target_; }
  const std::string& tempPath() const { return temp_; }

  // A buffered stream on the temporary file, for writers that use stdio.
  FILE* stream();
  // Closes our handle without committing, for writers (FFmpeg) that reopen the path themselves.
  void releaseHandle();

  // Flushes, fsyncs and closes the temporary, then renames it over the target. Throws
  // RuntimeFailure (and removes the temporary) when any of those steps fails. `cancelled` is asked
  // once more after the data is on disk and just before the rename: a cancel that arrives while a
  // large file is synced still leaves the old file in place (Cancelled is thrown).
  void commit(const std::function<bool()>& cancelled = {});
  // Commits several files as one export: all are synced first, then renamed with no cancel or
  // forced exit between the renames.
  static void commitAll(std::initializer_list<AtomicFile*> files,
                        const std::function<bool()>& cancelled = {});
  // Removes the temporary now; safe to call more than once.
  void discard();

 private:
  void closeHandle(bool checked);
  void sync();

  std::string target_;  // links resolved
  std::string temp_;
  std::unique_ptr<PendingOutput> pending_;
  int fd_ = -1;
  FILE* stream_ = nullptr;
  bool done_ = false;
};

// A hidden name beside `target` that does not exist yet: `<dir>/.<name><tag><pid>.<random><suffix>`
// (the pid lets removeStaleTemporaries tell a dead process's leftovers). Only a candidate: callers
// create it with O_EXCL or mkdir and retry on EEXIST.
std::string siblingTempName(const std::string& target, const std::string& tag,
                            const std::string& suffix = "");

// Writes `bytes` to `path` through an AtomicFile.
void writeFileAtomically(const std::string& path, const std::string& bytes);

// Throws InputError when `path` could not be written as AtomicFile writes it: its folder is
// missing, is a file or is not writable, or the path is (or leads through links to) a folder or a
// device. Commands check their output paths before the work rather than after it. `what` names
// the option.
void checkOutputFile(const std::string& path, const std::string& what);
// Throws InputError, starting with `subject`, when `folder` (which exists) is a file or cannot be
// written into.
void checkWritableFolder(const std::string& folder, const std::string& subject);

// Reads a whole file into `out`; false when it does not exist, RuntimeFailure on other errors.
bool readFileIfExists(const std::string& path, std::string* out);

// "<what> '<path>': <strerror(err)>", the shape of every I/O error message in core/io.
std::string ioErrorMessage(const std::string& what, const std::string& path, int err);

}  // namespace svgen
