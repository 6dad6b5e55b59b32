#include "core/io/pending_outputs.h"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>
#ifdef __linux__
#include <sys/syscall.h>
#endif

#include <atomic>
#include <cerrno>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <filesystem>

namespace svgen {

namespace fs = std::filesystem;

namespace {

enum SlotState { kFree = 0, kFilling = 1, kListed = 2 };

struct Slot {
  std::atomic<int> state{kFree};
  bool folder = false;
  char path[PATH_MAX] = {0};
};

constexpr int kSlots = 64;
Slot slots[kSlots];
std::atomic<int> commitDepth{0};
std::atomic<int> deferredExit{-1};

// Empties a flat folder and removes it using only async-signal-safe calls.
void removeFlatFolder(const char* path) noexcept {
#ifdef __linux__
  const int fd = ::open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd >= 0) {
    alignas(8) char buffer[4096];
    for (;;) {
      const long n = ::syscall(SYS_getdents64, fd, buffer, sizeof buffer);
      if (n <= 0) break;
      for (long offset = 0; offset < n;) {
        // struct linux_dirent64: ino (8), off (8), reclen (2), type (1), name.
        unsigned short length;
        std::memcpy(&length, buffer + offset + 16, sizeof length);
        const char* name = buffer + offset + 19;
        if (std::strcmp(name, ".") != 0 && std::strcmp(name, "..") != 0) ::unlinkat(fd, name, 0);
        offset += length;
      }
    }
    ::close(fd);
  }
#endif
  ::rmdir(path);
}

void removeListed() noexcept {
  for (Slot& slot : slots) {
    if (slot.state.load() != kListed) continue;
    if (slot.folder)
      removeFlatFolder(slot.path);
    else
      ::unlink(slot.path);
  }
}

}  // namespace

PendingOutput::PendingOutput(const std::string& path, bool folder) {
  if (path.empty() || path.size() >= PATH_MAX) return;
  for (int i = 0; i < kSlots; ++i) {
    int expected = kFree;
    if (!slots[i].state.compare_exchange_strong(expected, kFilling)) continue;
    std::memcpy(slots[i].path, path.c_str(), path.size() + 1);
    slots[i].folder = folder;
    slots[i].state.store(kListed);
    slot_ = i;
    return;
  }
}

PendingOutput::~PendingOutput() {
  if (slot_ >= 0) slots[slot_].state.store(kFree);
}

CommitSection::CommitSection() {
  commitDepth.fetch_add(1);
}

CommitSection::~CommitSection() {
  // The handler stores its exit code before it looks at the depth, so either it sees this section
  // and leaves the exit to it, or it saw none and exits itself.
  if (commitDepth.fetch_sub(1) == 1) {
    const int code = deferredExit.load();
    if (code >= 0) {
      removeListed();
      ::_exit(code);
    }
  }
}

void exitRemovingPendingOutputs(int code, const char* message) noexcept {
  if (message) {
    const ssize_t ignored = ::write(STDERR_FILENO, message, std::strlen(message));
    (void)ignored;
  }
  deferredExit.store(code);
  if (commitDepth.load() > 0) return;
  removeListed();
  ::_exit(code);
}

void removeStaleTemporaries(const std::string& dir, const std::string& prefix) {
  std::error_code ec;
  fs::directory_iterator it(dir.empty() ? fs::path(".") : fs::path(dir), ec);
  if (ec) return;
  for (const fs::directory_entry& entry : it) {
    const std::string name = entry.path().filename().string();
    if (name.compare(0, prefix.size(), prefix) != 0) continue;
    const char* digits = name.c_str() + prefix.size();
    char* end = nullptr;
    errno = 0;
    const long pid = std::strtol(digits, &end, 10);
    if (end == digits || *end != '.' || errno != 0 || pid <= 0 || pid > INT_MAX) continue;
    if (::kill(static_cast<pid_t>(pid), 0) == 0 || errno != ESRCH) continue;  // still running
    fs::remove_all(entry.path(), ec);                                         // never follows links
  }
}

}  // namespace svgen
