// Replace-on-success file writing: every export goes to a hidden temporary file beside the target
// and is renamed over it only once fully written, so a crash, a full disk or a cancel never leaves
// a half-written clip or damages the file that was there before.
#pragma once
#include <cstdio>
#include <string>

namespace svgen {

// Owns one temporary file next to `target`. The destructor removes the temporary unless commit()
// ran, so every early exit (exception, cancel) cleans up on its own.
class AtomicFile {
 public:
  // Creates `<dir>/.<name>.tmp-<random>` (O_EXCL, mode 0666 minus umask). Throws RuntimeFailure
  // with the path and strerror when the folder is missing or not writable.
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
  // RuntimeFailure (and removes the temporary) when any of those steps fails.
  void commit();
  // Removes the temporary now; safe to call more than once.
  void discard();

 private:
  void closeHandle(bool checked);

  std::string target_;
  std::string temp_;
  int fd_ = -1;
  FILE* stream_ = nullptr;
  bool done_ = false;
};

// A hidden name beside `target` that does not exist yet: `<dir>/.<name><tag><random><suffix>`.
// Only a candidate: callers create it with O_EXCL or mkdir and retry on EEXIST.
std::string siblingTempName(const std::string& target, const std::string& tag,
                            const std::string& suffix = "");

// Writes `bytes` to `path` through an AtomicFile.
void writeFileAtomically(const std::string& path, const std::string& bytes);

// Throws InputError when the folder `path` would be written into does not exist: commands check
// their output paths before the work rather than after it. `what` names the option.
void checkOutputFolder(const std::string& path, const std::string& what);

// Reads a whole file into `out`; false when it does not exist, RuntimeFailure on other errors.
bool readFileIfExists(const std::string& path, std::string* out);

// "<what> '<path>': <strerror(err)>", the shape of every I/O error message in core/io.
std::string ioErrorMessage(const std::string& what, const std::string& path, int err);

}  // namespace svgen
