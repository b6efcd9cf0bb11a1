#include "http/api_routes.hpp"

#include "http/catalog_json.hpp"
#include "http/json_response.hpp"
#include "http/request_metrics.hpp"

#include <cstdlib>
#include <limits>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

namespace grace::http {

namespace {

bool is_mutating(const std::string& method) {
  return method == "POST" || method == "PUT" || method == "PATCH" || method == "DELETE";
}

// Compares in time independent of where the strings differ.
bool same_secret(const std::string& a, const std::string& b) {
  unsigned char diff = a.size() == b.size() ? 0 : 1;
  for (size_t i = 0; i < a.size(); ++i)
    diff |= static_cast<unsigned char>(a[i] ^ (i < b.size() ? b[i] : 0));
  return diff == 0;
}

std::string status_text(int status) {
  switch (status) {
  case 400:
    return "bad request";
  case 401:
    return "unauthorized";
  case 404:
    return "no such route";
  case 405:
    return "method not allowed";
  case 413:
    return "request body too large";
  case 414:
    return "request URI too long";
  default:
    return "request failed with status " + std::to_string(status);
  }
}

// POST routes that take no body. Registered with a content reader that is never
// called, so that a bare `curl -X POST` (no Content-Length) is accepted instead
// of being refused with 400 before routing.
} // namespace

void install_routes(httplib::Server& server, actor_gateway& gateway, const api_settings& settings) {
  server.set_payload_max_length(static_cast<size_t>(settings.max_body_bytes));

  // A declared body over the limit is refused on every route, also on those
  // that never read their body; then mutating requests need the bearer token
  // when one is configured.
  server.set_pre_routing_handler([settings](const httplib::Request& req, httplib::Response& res) {
    request_metrics::start_timer();
    if (req.has_header("Content-Length")) {
      const std::string text = req.get_header_value("Content-Length");
      char* end = nullptr;
      const unsigned long long declared = std::strtoull(text.c_str(), &end, 10);
      if (end != text.c_str() + text.size() || text.empty()) {
        send_error(res, 400, "Content-Length is not a number");
        return httplib::Server::HandlerResponse::Handled;
      }
      if (declared > static_cast<unsigned long long>(settings.max_body_bytes)) {
        send_error(res, 413, "request body too large");
        return httplib::Server::HandlerResponse::Handled;
      }
    }
    if (settings.token.empty() || !is_mutating(req.method))
      return httplib::Server::HandlerResponse::Unhandled;
    const std::string expected = "Bearer " + settings.token;
    if (!same_secret(req.get_header_value("Authorization"), expected)) {
      res.set_header("WWW-Authenticate", "Bearer");
      send_error(res, 401, "this request needs 'Authorization: Bearer <token>'");
      return httplib::Server::HandlerResponse::Handled;
    }
    return httplib::Server::HandlerResponse::Unhandled;
  });

  // Errors raised by httplib itself (404, 413, ...) get a JSON body too; the
  // handlers' own JSON errors are left as they are.
  server.set_error_handler([](const httplib::Request&, httplib::Response& res) {
    if (res.body.empty())
      send_error(res, res.status, status_text(res.status));
  });

  server.set_exception_handler(
      [](const httplib::Request& req, httplib::Response& res, std::exception_ptr ep) {
        std::string what = "unknown error";
        try {
          if (ep)
            std::rethrow_exception(ep);
        } catch (const std::exception& e) {
          what = e.what();
        } catch (...) {
        }
        spdlog::error("[HTTP] {} {} failed: {}", req.method, req.path, what);
        send_error(res, 500, "internal error: " + what);
      });

  server.Get("/healthz", [](const httplib::Request&, httplib::Response& res) {
    send_json(res, 200, {{"status", "ok"}});
  });

  server.Get("/readyz", [&gateway](const httplib::Request&, httplib::Response& res) {
    gateway_failure failure;
    if (gateway.ready(failure))
      send_json(res, 200, {{"ready", true}});
    else
      send_json(res, 503,
                {{"ready", false},
                 {"reason", failure.message.empty() ? "components are starting or restarting"
                                                    : failure.message}});
  });

  // Every component's state: up or restarting, and how often it restarted;
  // and the samples taken and refused (while the aggregator answers).
  server.Get("/api/status", [&gateway](const httplib::Request&, httplib::Response& res) {
    gateway_failure failure;
    auto s = gateway.supervisor_status(failure);
    if (!s)
      return send_failure(res, failure);
    auto body = nlohmann::json::parse(*s);
    gateway_failure no_samples;
    if (auto a =
            gateway.ask<std::string, aggregator_actor>("aggregator", no_samples, atom::status_v)) {
      const auto j = nlohmann::json::parse(*a, nullptr, false);
      nlohmann::json samples = nlohmann::json::object();
      for (const char* key : {"accepted", "rejected_late", "rejected_invalid", "replayed",
                              "open_windows", "closed_before"})
        if (j.is_object() && j.contains(key) && j.at(key).is_number_integer())
          samples[key] = j.at(key);
      // Nothing closed yet: no watermark to show.
      if (samples.contains("closed_before")
          && samples["closed_before"].get<int64_t>() == std::numeric_limits<int64_t>::min())
        samples.erase("closed_before");
      body["samples"] = samples;
    }
    send_json(res, 200, body);
  });

  server.Get("/api/catalog", [&gateway](const httplib::Request&, httplib::Response& res) {
    gateway_failure failure;
    auto c = gateway.ask<catalog_ref, catalog_actor>("catalog", failure, atom::get_v);
    if (!c)
      return send_failure(res, failure);
    send_json(res, 200, to_json(**c));
  });

  server.Get(R"(/api/catalog/metrics/([^/]+))",
             [&gateway](const httplib::Request& req, httplib::Response& res) {
               gateway_failure failure;
               auto c = gateway.ask<catalog_ref, catalog_actor>("catalog", failure, atom::get_v);
               if (!c)
                 return send_failure(res, failure);
               const std::string id = req.matches[1];
               const auto* m = (*c)->find_metric(id);
               if (m == nullptr)
                 return send_error(res, 404, "unknown metric '" + id + "'");
               send_json(res, 200, to_json(*m));
             });

  post_without_body(
      server, "/api/catalog/reload", [&gateway](const httplib::Request&, httplib::Response& res) {
        gateway_failure failure;
        auto r = gateway.ask<reload_outcome, catalog_actor>("catalog", failure, atom::reload_v);
        if (!r)
          return send_failure(res, failure);
        nlohmann::json body{
            {"reloaded", r->reloaded}, {"generation", r->generation}, {"errors", r->errors}};
        // 422: the file was read but refused; the last good catalog stays live.
        send_json(res, r->reloaded ? 200 : 422, body);
      });
}

} // namespace grace::http
