#include "http/analytics_routes.hpp"

#include "http/json_response.hpp"

#include <string>

namespace grace::http {

namespace {

void report(actor_gateway& gateway, const std::string& name, httplib::Response& res) {
  gateway_failure failure;
  auto text = gateway.ask<std::string, analytics_actor>("analytics", failure, atom::get_v, name);
  if (!text)
    return send_error(res, failure.status, failure.message);
  res.status = 200;
  res.set_content(*text, "application/json");
}

} // namespace

void install_analytics_routes(router& server, actor_gateway& gateway,
                              std::shared_ptr<request_metrics> metrics) {
  // Every request is counted and timed (the timer starts in the pre-routing
  // handler, see api_routes.cpp).
  server.set_logger([metrics](const httplib::Request& req, const httplib::Response& res) {
    metrics->observe(req.method, res.status, request_metrics::elapsed_seconds());
  });
  // One literal route per report, so the route inventory (OpenAPI check) sees them.
  auto serve = [&gateway](std::string name) {
    return [&gateway, name](const httplib::Request&, httplib::Response& res) {
      report(gateway, name, res);
    };
  };
  server.Get("/api/ml/dashboard/overview", serve("overview"));
  server.Get("/api/ml/dashboard/learning-progress", serve("learning-progress"));
  server.Get("/api/ml/dashboard/playbook-performance", serve("playbook-performance"));
  server.Get("/api/ml/dashboard/forecast-accuracy", serve("forecast-accuracy"));
  server.Get("/api/ml/dashboard/training-history", serve("training-history"));
  server.Get("/api/ml/dashboard/health-report", serve("health-report"));
  server.Get("/api/forecasts/latest", serve("latest-forecasts"));
  server.Get("/metrics", [&gateway, metrics](const httplib::Request&, httplib::Response& res) {
    gateway_failure failure;
    auto text = gateway.ask<std::string, analytics_actor>("analytics", failure, atom::metrics_v);
    if (!text)
      return send_error(res, failure.status, failure.message);
    res.status = 200;
    res.set_content(*text + metrics->exposition(), "text/plain; version=0.0.4; charset=utf-8");
  });
}

} // namespace grace::http
