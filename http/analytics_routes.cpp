#include "http/analytics_routes.hpp"

#include "http/json_response.hpp"
#include "messages/json.hpp"

#include <string>

namespace grace::http {

namespace {

template <class T> struct type_tag { using type = T; };

// Asks the analytics component for one report and sends its JSON.
template <class Report, class Which>
void report(actor_gateway& gateway, Which which, httplib::Response& res) {
  gateway_failure failure;
  auto answer = gateway.ask<Report, analytics_actor>("analytics", failure, atom::get_v, which);
  if (!answer)
    return send_error(res, failure.status, failure.message);
  res.status = 200;
  res.set_content(nlohmann::json(*answer).dump(), "application/json");
}

// Asks the cluster component for every member's overview, merged, and
// sends `render(merged)`.
template <class Render>
void merged_overview(actor_gateway& gateway, httplib::Response& res, Render render) {
  gateway_failure failure;
  auto merged =
      gateway.ask<cluster_dashboard_overview, cluster_actor>("cluster", failure, atom::overview_v);
  if (!merged)
    return send_error(res, failure.status, failure.message);
  res.status = 200;
  res.set_content(render(*merged).dump(), "application/json");
}

// Asks the cluster component for every member's report, merged, and sends
// its JSON (a node alone's fields plus answered_by and unanswered).
template <class Merged, class Which>
void merged_report(actor_gateway& gateway, Which which, httplib::Response& res) {
  gateway_failure failure;
  auto merged = gateway.ask<Merged, cluster_actor>("cluster", failure, which);
  if (!merged)
    return send_error(res, failure.status, failure.message);
  res.status = 200;
  res.set_content(nlohmann::json(*merged).dump(), "application/json");
}

} // namespace

void install_analytics_routes(router& server, actor_gateway& gateway,
                              std::shared_ptr<request_metrics> metrics, bool cluster) {
  // Every request is counted and timed (the timer starts in the pre-routing
  // handler, see api_routes.cpp).
  server.set_logger([metrics](const httplib::Request& req, const httplib::Response& res) {
    metrics->observe(req.method, res.status, request_metrics::elapsed_seconds());
  });
  // One literal route per report, so the route inventory (OpenAPI check) sees them.
  auto serve = [&gateway](auto which, auto report_type) {
    return [&gateway, which](const httplib::Request&, httplib::Response& res) {
      report<typename decltype(report_type)::type>(gateway, which, res);
    };
  };
  // On a cluster node: every member's report merged (docs/cluster.md).
  auto serve_merged = [&gateway](auto which, auto merged_type) {
    return [&gateway, which](const httplib::Request&, httplib::Response& res) {
      merged_report<typename decltype(merged_type)::type>(gateway, which, res);
    };
  };
  // A cluster node merges every member's overview (docs/cluster.md); its
  // health report is the merged overview's health.
  if (cluster)
    server.Get("/api/ml/dashboard/overview",
               [&gateway](const httplib::Request&, httplib::Response& res) {
                 merged_overview(gateway, res, [](const cluster_dashboard_overview& merged) {
                   return nlohmann::json(merged);
                 });
               });
  else
    server.Get("/api/ml/dashboard/overview",
               serve(atom::overview_v, type_tag<dashboard_overview>{}));
  if (cluster)
    server.Get("/api/ml/dashboard/learning-progress",
               serve_merged(atom::learning_v, type_tag<cluster_dashboard_learning>{}));
  else
    server.Get("/api/ml/dashboard/learning-progress",
               serve(atom::learning_v, type_tag<dashboard_learning>{}));
  if (cluster)
    server.Get("/api/ml/dashboard/playbook-performance",
               [&gateway](const httplib::Request&, httplib::Response& res) {
                 gateway_failure failure;
                 auto merged = gateway.ask<cluster_dashboard_playbooks, cluster_actor>(
                     "cluster", failure, atom::playbooks_v);
                 if (!merged)
                   return send_error(res, failure.status, failure.message);
                 res.status = 200;
                 res.set_content(nlohmann::json(*merged).dump(), "application/json");
               });
  else
    server.Get("/api/ml/dashboard/playbook-performance",
               serve(atom::playbooks_v, type_tag<dashboard_playbooks>{}));
  if (cluster)
    server.Get("/api/ml/dashboard/forecast-accuracy",
               serve_merged(atom::accuracy_v, type_tag<cluster_dashboard_accuracy>{}));
  else
    server.Get("/api/ml/dashboard/forecast-accuracy",
               serve(atom::accuracy_v, type_tag<dashboard_accuracy>{}));
  if (cluster)
    server.Get("/api/ml/dashboard/training-history",
               serve_merged(atom::training_v, type_tag<cluster_dashboard_training>{}));
  else
    server.Get("/api/ml/dashboard/training-history",
               serve(atom::training_v, type_tag<dashboard_training>{}));
  if (cluster)
    server.Get("/api/ml/dashboard/health-report",
               [&gateway](const httplib::Request&, httplib::Response& res) {
                 merged_overview(gateway, res, [](const cluster_dashboard_overview& merged) {
                   nlohmann::json j = dashboard_health{
                       merged.merged.health, merged.merged.unavailable, merged.merged.generated_at};
                   j["answered_by"] = merged.answered_by;
                   j["unanswered"] = merged.unanswered;
                   return j;
                 });
               });
  else
    server.Get("/api/ml/dashboard/health-report",
               serve(atom::health_v, type_tag<dashboard_health>{}));
  if (cluster)
    server.Get("/api/forecasts/latest",
               serve_merged(atom::forecasts_v, type_tag<cluster_dashboard_forecasts>{}));
  else
    server.Get("/api/forecasts/latest", serve(atom::forecasts_v, type_tag<dashboard_forecasts>{}));
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
