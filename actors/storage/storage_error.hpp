#pragma once
// The one exception type of the storage core. Messages are meant for an
// operator's log: they name the file and say what went wrong in plain words.
#include <stdexcept>
#include <string>

namespace grace::storage {

class storage_error : public std::runtime_error {
public:
  using std::runtime_error::runtime_error;
};

// Plain words for an errno value: ENOSPC -> "disk full", EACCES -> "not
// writable (permission denied)", ... Falls back to strerror() for the rest.
std::string describe_errno(int err);

} // namespace grace::storage
