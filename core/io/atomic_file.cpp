#include "core/io/atomic_file.h"

#include "core/common/error.h"
#include "core/io/pending_outputs.h"

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
  return std::to_string(getpid()) + "." + token;
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

constexpr char kTempTag[] = ".tmp-";

// Follows `path` through links to the file an export should replace (see AtomicFile).
std::string resolveOutputTarget(const std::string& path, const std::string& what) {
  std::string current = path;
  for (int hops = 0; hops < 40; ++hops) {
    struct stat st;
    if (::lstat(current.c_str(), &st) != 0) return current;  // not there yet: created here
    if (S_ISLNK(st.st_mode)) {
      const fs::path link = fs::read_symlink(current);
      current =
          link.is_absolute() ? link.string() : (fs::path(current).parent_path() / link).string();
      continue;
    }
    if (S_ISREG(st.st_mode)) return current;
    const std::string leads = current == path ? "" : " leads to '" + current + "', which";
    throw InputError(what + " '" + path + "'" + leads +
                     (S_ISDIR(st.st_mode) ? " is a folder, not a file"
                                          : " is not a regular file (a device or a pipe); "
                                            "name a file to write"));
  }
  throw InputError(what + " '" + path + "': too many levels of links");
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
  target_ = resolveOutputTarget(target_, "output");
  std::string dir, name;
  splitPath(target_, &dir, &name);
  removeStaleTemporaries(dir, "." + name + kTempTag);
  for (int attempt = 0; attempt < 100; ++attempt) {
    temp_ = siblingTempName(target_, kTempTag);
    fd_ = ::open(temp_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
    if (fd_ >= 0) {
      pending_ = std::make_unique<PendingOutput>(temp_, false);
      return;
    }
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

void AtomicFile::sync() {
  if (done_) throw RuntimeFailure("internal: commit() twice on '" + target_ + "'");
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
}

void AtomicFile::commit(const std::function<bool()>& cancelled) {
  commitAll({this}, cancelled);
}

void AtomicFile::commitAll(std::initializer_list<AtomicFile*> files,
                           const std::function<bool()>& cancelled) {
  try {
    for (AtomicFile* f : files) f->sync();
    CommitSection section;
    if (cancelled && cancelled()) throw Cancelled();
    for (AtomicFile* f : files) {
      if (std::rename(f->temp_.c_str(), f->target_.c_str()) != 0)
        throw RuntimeFailure(ioErrorMessage("cannot replace", f->target_, errno));
      f->done_ = true;
      f->pending_.reset();
    }
  } catch (...) {
    for (AtomicFile* f : files) f->discard();
    throw;
  }
}

void AtomicFile::discard() {
  if (done_) return;
  closeHandle(false);
  ::unlink(temp_.c_str());
  done_ = true;
  pending_.reset();
}

void checkOutputFile(const std::string& path, const std::string& what) {
  if (path.empty()) throw InputError(what + ": no file named");
  if (path.back() == '/') throw InputError(what + " '" + path + "' names a folder, not a file");
  const std::string target = resolveOutputTarget(path, what);
  const fs::path parent = fs::absolute(target).parent_path();
  std::error_code ec;
  if (!fs::exists(parent, ec))
    throw InputError(what + " '" + path + "': folder " + parent.string() + " does not exist");
  checkWritableFolder(parent.string(), what + " '" + path + "'");
}

void checkWritableFolder(const std::string& folder, const std::string& subject) {
  std::error_code ec;
  if (!fs::is_directory(folder, ec))
    throw InputError(subject + ": " + folder + " is a file, not a folder");
  if (::access(folder.c_str(), W_OK | X_OK) != 0)
    throw InputError(subject + ": folder " + folder + " is not writable (" + std::strerror(errno) +
                     ")");
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
