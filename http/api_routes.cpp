#include "http/api_routes.hpp"

#include "http/catalog_json.hpp"
#include "http/json_response.hpp"
#include "http/request_metrics.hpp"
#include "http/request_rules.hpp"
#include "messages/json.hpp"

#include <cstdlib>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

namespace grace::http {

void install_routes(router& server, actor_gateway& gateway) {
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
    auto s = gateway.components(failure);
    if (!s)
      return send_failure(res, failure);
    nlohmann::json body = *s;
    gateway_failure no_samples;
    if (auto a = gateway.ask<aggregator_status, aggregator_actor>("aggregator", no_samples,
                                                                  atom::status_v))
      body["samples"] = *a;
    // The PromQL source, when grace.yaml configures one: per metric, its
    // queries, failures and backfill.
    gateway_failure no_promql;
    if (auto p = gateway.ask<promql_status, promql_actor>("promql", no_promql, atom::status_v))
      body["promql"] = *p;
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

bool require_token(const httplib::Request& req, httplib::Response& res, const std::string& token) {
  if (token.empty() || same_secret(req.get_header_value("Authorization"), "Bearer " + token))
    return true;
  res.set_header("WWW-Authenticate", "Bearer");
  send_error(res, 401, "this request needs 'Authorization: Bearer <token>'");
  return false;
}

} // namespace grace::http
