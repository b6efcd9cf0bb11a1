#include "actors/storage/atomic_file.hpp"

#include <cerrno>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace grace::storage {

namespace {

[[noreturn]] void fail(const std::string& what, const std::filesystem::path& path, int err) {
  throw storage_error(what + " '" + path.string() + "': " + describe_errno(err));
}

// Closes a descriptor on scope exit unless released.
struct fd_guard {
  int fd = -1;
  ~fd_guard() {
    if (fd >= 0)
      ::close(fd);
  }
};

void write_all(int fd, std::string_view content) {
  const char* p = content.data();
  size_t left = content.size();
  while (left > 0) {
    ssize_t n = ::write(fd, p, left);
    if (n < 0) {
      if (errno == EINTR)
        continue;
      throw errno;
    }
    if (n == 0)
      throw ENOSPC; // write() makes no progress: treat as a full device
    p += n;
    left -= static_cast<size_t>(n);
  }
}

} // namespace

void sync_directory(const std::filesystem::path& dir) {
  int fd = ::open(dir.empty() ? "." : dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0)
    fail("cannot open directory", dir, errno);
  fd_guard guard{fd};
  if (::fsync(fd) != 0 && errno != EINVAL) // some file systems cannot fsync directories
    fail("cannot sync directory", dir, errno);
}

void write_file_atomically(const std::filesystem::path& path, std::string_view content) {
  if (path.filename().empty())
    throw storage_error("cannot write '" + path.string() + "': not a file name");
  const auto dir = path.parent_path();
  std::string tmpl = (dir / ("." + path.filename().string() + ".tmp.XXXXXX")).string();
  int fd = ::mkstemp(tmpl.data());
  if (fd < 0)
    fail("cannot write", path, errno);
  const std::filesystem::path tmp = tmpl;
  fd_guard guard{fd};
  std::string step = "writing";
  try {
    struct stat st {};
    mode_t mode = 0644;
    if (::stat(path.c_str(), &st) == 0)
      mode = st.st_mode & 07777;
    step = "setting the mode of";
    if (::fchmod(fd, mode) != 0)
      throw errno;
    step = "writing";
    write_all(fd, content);
    step = "syncing";
    if (::fsync(fd) != 0)
      throw errno;
    step = "closing";
    guard.fd = -1;
    if (::close(fd) != 0)
      throw errno;
    step = "renaming the temp file over";
    if (::rename(tmp.c_str(), path.c_str()) != 0)
      throw errno;
  } catch (int err) {
    ::unlink(tmp.c_str());
    throw storage_error("cannot write '" + path.string() + "' (" + step
                        + "): " + describe_errno(err));
  }
  sync_directory(dir);
}

std::string read_file(const std::filesystem::path& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == EACCES || errno == EPERM)
      throw storage_error("cannot read '" + path.string() + "': not readable (permission denied)");
    fail("cannot read", path, errno);
  }
  fd_guard guard{fd};
  struct stat st {};
  if (::fstat(fd, &st) != 0)
    fail("cannot read", path, errno);
  if (S_ISDIR(st.st_mode))
    fail("cannot read", path, EISDIR);
  std::string out;
  if (st.st_size > 0)
    out.reserve(static_cast<size_t>(st.st_size));
  char buf[65536];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR)
        continue;
      fail("cannot read", path, errno);
    }
    if (n == 0)
      break;
    out.append(buf, static_cast<size_t>(n));
  }
  return out;
}

} // namespace grace::storage
