// nlohmann/json is header-only: its serializer (dump), lexer and parser are
// compiled again in every source that dumps or parses JSON. For the sources
// built with a precompiled header (pch/caf.hpp, pch/gtest.hpp, pch/core.hpp) they are
// declared extern here and instantiated once, in pch/json_instances.cpp
// (library grace_pch_json, linked by those targets): the same code from the
// same header and flags, compiled once instead of in every source.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

// The classes named are internals of nlohmann/json 3.11.
#if NLOHMANN_JSON_VERSION_MAJOR == 3 && NLOHMANN_JSON_VERSION_MINOR == 11
#define GRACE_JSON_INSTANCES 1
namespace grace::pch {
// What json::parse(const std::string&) reads from.
using json_string_input = nlohmann::detail::iterator_input_adapter<std::string::const_iterator>;
} // namespace grace::pch
extern template class nlohmann::detail::serializer<nlohmann::json>;
extern template class nlohmann::detail::lexer<nlohmann::json, grace::pch::json_string_input>;
extern template class nlohmann::detail::parser<nlohmann::json, grace::pch::json_string_input>;
extern template class nlohmann::detail::json_sax_dom_parser<nlohmann::json>;
extern template class nlohmann::detail::json_sax_dom_callback_parser<nlohmann::json>;
#endif
