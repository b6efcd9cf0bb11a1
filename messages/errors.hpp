#pragma once
// The node's error codes, carried in caf::error under the category "grace".
// The HTTP layer maps each to a status code.
#include <caf/error.hpp>
#include <caf/fwd.hpp>
#include <cstdint>
#include <string>

namespace grace {

enum class errc : uint8_t {
  invalid_input = 1,   // 400: the request or file is malformed
  not_found = 2,       // 404
  conflict = 3,        // 409: e.g. a reward for an already rewarded event
  unavailable = 4,     // 503: a component is not ready
  storage_failure = 5, // 500: disk full, unwritable directory, corrupt database
  startup_failed = 6,  // a component could not start; the node stops
  internal = 7,        // 500
  gone = 8,            // 410: e.g. a reward for a recommendation that expired
};

std::string to_string(errc code);

caf::atom_value error_category();

caf::error make_error(errc code, std::string message);

// The message carried by an error made with make_error, or CAF's rendering.
std::string describe(const caf::error& e);

// True when `e` is a grace error with this code.
bool is(const caf::error& e, errc code);

} // namespace grace
