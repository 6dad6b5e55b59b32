#include "core/io/mapped_file.h"

#include "core/common/error.h"

#include <cerrno>
#include <cstring>

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

namespace svgen {

MappedFile::MappedFile(const std::string& path, uint64_t minimumBytes, const std::string& what) {
  auto fail = [&](const std::string& why) { throw InputError(path + ": " + why); };
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) fail("cannot open: " + std::string(std::strerror(errno)));
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    const int err = errno;
    ::close(fd);
    fail("cannot read: " + std::string(std::strerror(err)));
  }
  if (!S_ISREG(st.st_mode)) {
    ::close(fd);
    fail("not a regular file");
  }
  size_ = static_cast<uint64_t>(st.st_size);
  if (size_ < minimumBytes) {
    ::close(fd);
    fail("truncated: " + std::to_string(size_) + " bytes, too short for " + what);
  }
  if (size_ == 0) {
    ::close(fd);
    return;  // mmap refuses length 0; there is nothing to read anyway
  }
  void* map = ::mmap(nullptr, size_, PROT_READ, MAP_PRIVATE, fd, 0);
  const int err = errno;
  ::close(fd);  // the mapping keeps the file alive
  if (map == MAP_FAILED) fail("cannot map: " + std::string(std::strerror(err)));
  map_ = map;
}

MappedFile::~MappedFile() {
  if (map_) ::munmap(map_, size_);
}

}  // namespace svgen
