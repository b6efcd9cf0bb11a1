#pragma once
// JSON answers: every route answers JSON, errors as {"error": "..."}.
#include "http/actor_gateway.hpp"

#include <functional>
#include <httplib.h>
#include <initializer_list>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

namespace grace::http {

inline void send_json(httplib::Response& res, int status, const nlohmann::json& body) {
  res.status = status;
  res.set_content(body.dump(), "application/json");
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
  } catch (const nlohmann::json::parse_error& e) {
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

// A POST route that takes no body: registered with a content reader so that
// cpp-httplib never buffers whatever body a client sends anyway.
inline void
post_without_body(httplib::Server& server, const std::string& pattern,
                  std::function<void(const httplib::Request&, httplib::Response&)> handler) {
  server.Post(pattern, [handler](const httplib::Request& req, httplib::Response& res,
                                 const httplib::ContentReader&) { handler(req, res); });
}

} // namespace grace::http
