#pragma once
// JSON answers: every route answers JSON, errors as {"error": "..."}.
#include <httplib.h>
#include <nlohmann/json.hpp>
#include <string>

namespace grace::http {

inline void send_json(httplib::Response& res, int status, const nlohmann::json& body) {
  res.status = status;
  res.set_content(body.dump(), "application/json");
}

inline void send_error(httplib::Response& res, int status, const std::string& message) {
  send_json(res, status, {{"error", message}});
}

} // namespace grace::http
