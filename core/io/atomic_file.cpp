#include "core/io/atomic_file.h"

#include "core/common/error.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <random>

namespace svgen {

namespace fs = std::filesystem;

namespace {

std::string randomToken() {
  // random_device alone can be slow or deterministic on odd platforms; mixing in the pid and a
  // counter keeps names distinct across threads and processes that export at the same moment.
  static std::atomic<unsigned> counter{0};
  std::random_device device;
  std::mt19937_64 gen((static_cast<uint64_t>(device()) << 32) ^ device() ^
                      (static_cast<uint64_t>(getpid()) << 16) ^ counter.fetch_add(1));
  static const char kAlphabet[] = "abcdefghijklmnopqrstuvwxyz0123456789";
  std::string token(8, 'x');
  for (char& c : token) c = kAlphabet[gen() % (sizeof(kAlphabet) - 1)];
  return token;
}

void splitPath(const std::string& path, std::string* dir, std::string* name) {
  const size_t slash = path.find_last_of('/');
  if (slash == std::string::npos) {
    *dir = "";
    *name = path;
  } else {
    *dir = path.substr(0, slash + 1);
    *name = path.substr(slash + 1);
  }
}

}  // namespace

std::string ioErrorMessage(const std::string& what, const std::string& path, int err) {
  return what + " '" + path + "': " + std::strerror(err);
}

std::string siblingTempName(const std::string& target, const std::string& tag,
                            const std::string& suffix) {
  std::string dir, name;
  splitPath(target, &dir, &name);
  return dir + "." + name + tag + randomToken() + suffix;
}

AtomicFile::AtomicFile(std::string target) : target_(std::move(target)) {
  if (target_.empty() || target_.back() == '/')
    throw InputError("output path '" + target_ + "' names a folder, not a file");
  for (int attempt = 0; attempt < 100; ++attempt) {
    temp_ = siblingTempName(target_, ".tmp-");
    fd_ = ::open(temp_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
    if (fd_ >= 0) return;
    if (errno != EEXIST) break;
  }
  const int err = errno;
  done_ = true;  // nothing was created, nothing to remove
  throw RuntimeFailure(ioErrorMessage("cannot create a file beside", target_, err));
}

AtomicFile::~AtomicFile() {
  discard();
}

FILE* AtomicFile::stream() {
  if (!stream_) {
    if (fd_ < 0) throw RuntimeFailure("internal: stream() after the handle was released");
    stream_ = ::fdopen(fd_, "wb");
    if (!stream_) throw RuntimeFailure(ioErrorMessage("cannot open", temp_, errno));
    fd_ = -1;  // the stream owns it now
    // Frames are written in large blocks; a bigger buffer saves syscalls on slow disks.
    std::setvbuf(stream_, nullptr, _IOFBF, 1 << 20);
  }
  return stream_;
}

void AtomicFile::closeHandle(bool checked) {
  int err = 0;
  if (stream_) {
    if (std::fflush(stream_) != 0 && !err) err = errno;
    if (checked && !err && ::fsync(fileno(stream_)) != 0) err = errno;
    if (std::fclose(stream_) != 0 && !err) err = errno;
    stream_ = nullptr;
  }
  if (fd_ >= 0) {
    if (checked && ::fsync(fd_) != 0 && !err) err = errno;
    if (::close(fd_) != 0 && !err) err = errno;
    fd_ = -1;
  }
  if (checked && err) throw RuntimeFailure(ioErrorMessage("cannot write", target_, err));
}

void AtomicFile::releaseHandle() {
  closeHandle(false);
}

void AtomicFile::commit() {
  if (done_) throw RuntimeFailure("internal: commit() twice on '" + target_ + "'");
  try {
    const bool hadHandle = stream_ || fd_ >= 0;
    closeHandle(true);
    if (!hadHandle) {
      // Someone else (FFmpeg) wrote and closed the file; make it durable before the rename so a
      // power cut cannot leave an empty file under the target's name.
      const int fd = ::open(temp_.c_str(), O_RDONLY | O_CLOEXEC);
      if (fd < 0) throw RuntimeFailure(ioErrorMessage("cannot reopen", temp_, errno));
      const int rc = ::fsync(fd);
      const int err = errno;
      ::close(fd);
      if (rc != 0) throw RuntimeFailure(ioErrorMessage("cannot write", target_, err));
    }
    if (std::rename(temp_.c_str(), target_.c_str()) != 0)
      throw RuntimeFailure(ioErrorMessage("cannot replace", target_, errno));
    done_ = true;
  } catch (...) {
    discard();
    throw;
  }
}

void AtomicFile::discard() {
  if (done_) return;
  closeHandle(false);
  ::unlink(temp_.c_str());
  done_ = true;
}

void checkOutputFolder(const std::string& path, const std::string& what) {
  const fs::path parent = fs::absolute(path).parent_path();
  if (!fs::is_directory(parent))
    throw InputError(what + " '" + path + "': folder " + parent.string() + " does not exist");
}

void writeFileAtomically(const std::string& path, const std::string& bytes) {
  AtomicFile file(path);
  FILE* out = file.stream();
  if (!bytes.empty() && std::fwrite(bytes.data(), 1, bytes.size(), out) != bytes.size())
    throw RuntimeFailure(ioErrorMessage("cannot write", path, errno));
  file.commit();
}

bool readFileIfExists(const std::string& path, std::string* out) {
  FILE* f = std::fopen(path.c_str(), "rb");
  if (!f) {
    if (errno == ENOENT) return false;
    throw RuntimeFailure(ioErrorMessage("cannot open", path, errno));
  }
  std::string data;
  char buffer[65536];
  size_t n;
  while ((n = std::fread(buffer, 1, sizeof buffer, f)) > 0) data.append(buffer, n);
  const int err = std::ferror(f) ? errno : 0;
  std::fclose(f);
  if (err) throw RuntimeFailure(ioErrorMessage("cannot read", path, err));
  *out = std::move(data);
  return true;
}

}  // namespace svgen
