#include "messages/errors.hpp"

#include <caf/atom.hpp>
#include <caf/message.hpp>
#include <caf/sec.hpp>

namespace grace {

std::string to_string(errc code) {
  switch (code) {
  case errc::invalid_input:
    return "invalid_input";
  case errc::not_found:
    return "not_found";
  case errc::conflict:
    return "conflict";
  case errc::unavailable:
    return "unavailable";
  case errc::storage_failure:
    return "storage_failure";
  case errc::startup_failed:
    return "startup_failed";
  case errc::internal:
    return "internal";
  case errc::gone:
    return "gone";
  }
  return "unknown";
}

caf::atom_value error_category() {
  return caf::atom("grace");
}

caf::error make_error(errc code, std::string message) {
  return caf::error(static_cast<uint8_t>(code), error_category(),
                    caf::make_message(std::move(message)));
}

bool is(const caf::error& e, errc code) {
  return e && e.category() == error_category() && e.code() == static_cast<uint8_t>(code);
}

std::string describe(const caf::error& e) {
  if (!e)
    return "no error";
  if (e.category() == error_category()) {
    if (e.context().match_elements<std::string>())
      return e.context().get_as<std::string>(0);
    return to_string(static_cast<errc>(e.code()));
  }
  if (e.category() == caf::atom("system"))
    return caf::to_string(static_cast<caf::sec>(e.code()));
  return caf::to_string(e);
}

} // namespace grace
