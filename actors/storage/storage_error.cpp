#include "actors/storage/storage_error.hpp"

#include <cerrno>
#include <cstring>

namespace grace::storage {

std::string describe_errno(int err) {
  switch (err) {
  case ENOSPC:
    return "disk full (no space left on device)";
  case EDQUOT:
    return "disk quota exceeded";
  case EACCES:
  case EPERM:
    return "not writable (permission denied)";
  case EROFS:
    return "not writable (read-only file system)";
  case ENOENT:
    return "does not exist (or a parent directory is missing)";
  case ENOTDIR:
    return "a parent path is not a directory";
  case EISDIR:
    return "is a directory";
  case EEXIST:
    return "already exists";
  case EIO:
    return "input/output error (failing disk?)";
  case ENAMETOOLONG:
    return "file name too long";
  case EMFILE:
  case ENFILE:
    return "too many open files";
  case EFBIG:
    return "file too large";
  case ELOOP:
    return "too many symbolic links";
  case EBUSY:
    return "busy (in use)";
  case EXDEV:
    return "on a different file system";
  default:
    break;
  }
  return std::strerror(err);
}

} // namespace grace::storage
