// The one instantiation of the nlohmann/json classes declared extern in
// pch/json_extern.hpp (see there).
#include "json_extern.hpp"

#ifdef GRACE_JSON_INSTANCES
template class nlohmann::detail::serializer<nlohmann::json>;
template class nlohmann::detail::lexer<nlohmann::json, grace::pch::json_string_input>;
template class nlohmann::detail::parser<nlohmann::json, grace::pch::json_string_input>;
template class nlohmann::detail::json_sax_dom_parser<nlohmann::json>;
template class nlohmann::detail::json_sax_dom_callback_parser<nlohmann::json>;
#endif
