#pragma once
// JSON answers: every route answers JSON, errors as {"error": "..."}.
#include "http/actor_gateway.hpp"

#include <httplib.h>
#include <initializer_list>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

namespace grace::http {

// Bytes that are not UTF-8 (from a file, a component, an echoed input) are
// written as U+FFFD rather than failing the answer.
inline void send_json(httplib::Response& res, int status, const nlohmann::json& body) {
  res.status = status;
  res.set_content(body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace),
                  "application/json");
}

inline void send_error(httplib::Response& res, int status, const std::string& message) {
  send_json(res, status, {{"error", message}});
}

// Parses a request body that must be a JSON object with only `allowed`
// fields; on a problem returns nullopt and sets `error` to what is wrong.
inline std::optional<nlohmann::json> parse_json_object(const std::string& body,
                                                       std::initializer_list<const char*> allowed,
                                                       std::string& error) {
  nlohmann::json doc;
  try {
    doc = nlohmann::json::parse(body);
  } catch (const nlohmann::json::out_of_range& e) {
    error = std::string("body has a number out of range: ") + e.what();
    return std::nullopt;
  } catch (const nlohmann::json::exception& e) {
    error = std::string("body is not valid JSON: ") + e.what();
    return std::nullopt;
  }
  if (!doc.is_object()) {
    error = std::string("body must be a JSON object, found ") + doc.type_name();
    return std::nullopt;
  }
  for (const auto& item : doc.items()) {
    bool known = false;
    std::string expected;
    for (const char* name : allowed) {
      known = known || item.key() == name;
      expected += (expected.empty() ? "" : ", ") + std::string(name);
    }
    if (!known) {
      error = "unknown field '" + item.key() + "' (expected " + expected + ")";
      return std::nullopt;
    }
  }
  return doc;
}

inline void send_failure(httplib::Response& res, const gateway_failure& f) {
  send_error(res, f.status, f.message);
}

} // namespace grace::http
