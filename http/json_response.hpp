#pragma once
// JSON answers: every route answers JSON, errors as {"error": "..."}.
#include "http/actor_gateway.hpp"

#include <functional>
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
