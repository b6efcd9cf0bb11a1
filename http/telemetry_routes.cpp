#include "http/telemetry_routes.hpp"

#include "actors/catalog/catalog.hpp"
#include "actors/ingest/sample_batch_parser.hpp"
#include "http/json_response.hpp"
#include "messages/json.hpp"

#include <algorithm>
#include <caf/after.hpp>
#include <chrono>
#include <cstdlib>
#include <limits>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

namespace grace::http {

namespace {

int64_t now_virtual(const node_clock& clock) {
  using namespace std::chrono;
  // The actor system's clock is steady_clock in production.
  return clock.virtual_now_ms(steady_clock::now().time_since_epoch().count());
}

// Parses an optional integer query parameter; false (and a 400) when malformed.
bool int_param(const httplib::Request& req, httplib::Response& res, const char* name,
               int64_t& out) {
  if (!req.has_param(name))
    return true;
  const std::string text = req.get_param_value(name);
  char* end = nullptr;
  errno = 0;
  long long v = std::strtoll(text.c_str(), &end, 10);
  if (text.empty() || end != text.c_str() + text.size() || errno == ERANGE || v < 0) {
    send_error(res, 400,
               std::string("query parameter '") + name
                   + "' must be a non-negative whole number (unix ms or a count), found '" + text
                   + "'");
    return false;
  }
  out = v;
  return true;
}

void push_metrics(actor_gateway& gateway, const telemetry_settings& settings,
                  const httplib::Request& req, httplib::Response& res) {
  const auto format = ingest::format_for_content_type(req.get_header_value("Content-Type"));
  if (format == ingest::body_format::unsupported)
    return send_error(res, 415,
                      "Content-Type must be application/json or text/plain (Prometheus text "
                      "format 0.0.4)");
  gateway_failure failure;
  auto cat = gateway.recent_catalog(failure);
  if (!cat)
    return send_error(res, failure.status, failure.message);
  const catalog_ref catalog = *cat;
  ingest::time_rules rules{now_virtual(settings.clock), settings.max_future_ms};
  ingest::batch_parse_result parsed;
  if (format == ingest::body_format::json) {
    parsed = ingest::parse_json_batch(
        req.body, [&](const std::string& id) { return catalog->find_metric(id) != nullptr; },
        rules);
  } else {
    parsed = ingest::parse_prometheus_batch(
        req.body,
        [&](const std::string& name) -> std::optional<std::string> {
          const auto* m = catalog->find_by_prometheus_name(name);
          return m ? std::optional<std::string>(m->id) : std::nullopt;
        },
        rules);
  }
  if (parsed.malformed())
    return send_error(res, 400, "malformed body, nothing accepted: " + parsed.error);
  // Refusals of the parser and of the aggregator (late samples), by position
  // in the body.
  std::vector<std::pair<size_t, std::string>> refused;
  for (auto& r : parsed.rejected)
    refused.emplace_back(r.index, std::move(r.reason));
  uint64_t accepted = 0;
  if (!parsed.accepted.empty()) {
    // The body position of each parsed sample: the positions not rejected.
    std::vector<size_t> position;
    position.reserve(parsed.accepted.size());
    for (size_t i = 0, r = 0; i < parsed.total; ++i) {
      if (r < parsed.rejected.size() && parsed.rejected[r].index == i)
        ++r;
      else
        position.push_back(i);
    }
    // Answered once the samples taken are written to the sample log.
    auto receipt = settings.cluster
                       ? gateway.ask<ingest_receipt, cluster_actor>(
                           "cluster", failure, atom::ingest_v, std::move(parsed.accepted))
                       : gateway.ask<ingest_receipt, ingest_actor>(
                           "ingest", failure, atom::ingest_v, std::move(parsed.accepted));
    if (!receipt)
      return send_error(res, failure.status,
                        "samples not acknowledged (send them again): " + failure.message);
    accepted = receipt->accepted;
    for (auto& r : receipt->rejected)
      refused.emplace_back(r.index < position.size() ? position[r.index] : r.index,
                           std::move(r.reason));
    std::sort(refused.begin(), refused.end(),
              [](const auto& a, const auto& b) { return a.first < b.first; });
  }
  nlohmann::json rejected = nlohmann::json::array();
  for (const auto& [index, reason] : refused)
    rejected.push_back({{"index", index}, {"reason", reason}});
  send_json(res, accepted == 0 ? 400 : 200,
            {{"accepted", accepted}, {"rejected", rejected}, {"total", parsed.total}});
}

void snapshots_of_metric(actor_gateway& gateway, bool cluster, const httplib::Request& req,
                         httplib::Response& res) {
  snapshot_query q;
  q.metric_id = req.matches[1];
  int64_t since = 0, until = std::numeric_limits<int64_t>::max(), limit = 288;
  if (!int_param(req, res, "since", since) || !int_param(req, res, "until", until)
      || !int_param(req, res, "limit", limit))
    return;
  if (limit < 1 || limit > 100000)
    return send_error(res, 400, "query parameter 'limit' must be between 1 and 100000");
  if (until <= since)
    return send_error(res, 400, "'until' must be after 'since'");
  // `local=true`: this node's own storage, not the metric's owner (a cluster
  // node may hold a metric's snapshots as its shard's next owner).
  bool local = false;
  if (req.has_param("local")) {
    const auto value = req.get_param_value("local");
    if (value != "true" && value != "false")
      return send_error(res, 400,
                        "query parameter 'local' must be true or false, found '" + value + "'");
    local = value == "true";
  }
  gateway_failure failure;
  auto cat = gateway.ask<catalog_ref, catalog_actor>("catalog", failure, atom::get_v);
  if (!cat)
    return send_error(res, failure.status, failure.message);
  if ((*cat)->find_metric(q.metric_id) == nullptr)
    return send_error(res, 404, "unknown metric '" + q.metric_id + "'");
  q.since = since;
  q.until = until;
  q.limit = static_cast<uint64_t>(limit);
  if (cluster && !local) {
    // Read from the storage of the metric's owner (docs/cluster.md).
    auto answer = gateway.ask_pair<std::vector<snapshot>, std::string, cluster_actor>(
        "cluster", failure, atom::query_v, q);
    if (!answer)
      return send_error(res, failure.status, failure.message);
    return send_json(res, 200,
                     {{"metric_id", q.metric_id},
                      {"snapshots", answer->first},
                      {"answered_by", answer->second}});
  }
  auto rows =
      gateway.ask<std::vector<snapshot>, storage_actor>("storage", failure, atom::query_v, q);
  if (!rows)
    return send_error(res, failure.status, failure.message);
  send_json(res, 200, {{"metric_id", q.metric_id}, {"snapshots", *rows}});
}

// One server-sent event stream: subscribes a scoped actor to the mesh and
// writes what arrives; a comment line every 15 s keeps proxies from closing it.
void event_stream(actor_gateway& gateway, const telemetry_settings& settings,
                  std::shared_ptr<std::atomic<int>> open_streams, const httplib::Request& req,
                  httplib::Response& res) {
  if (open_streams->fetch_add(1) >= settings.max_event_streams) {
    open_streams->fetch_sub(1);
    return send_error(res, 503, "too many open event streams (http.max_event_streams)");
  }
  gateway_failure failure;
  auto mesh = gateway.lookup("mesh", failure);
  if (!mesh) {
    open_streams->fetch_sub(1);
    return send_error(res, failure.status, failure.message);
  }
  const std::string topic = req.has_param("topic") ? req.get_param_value("topic") : "*";
  auto listener = std::make_shared<caf::scoped_actor>(gateway.system());
  (*listener)->send(caf::actor_cast<mesh_actor>(*mesh), atom::subscribe_v, topic,
                    caf::actor_cast<caf::actor>(*listener));
  res.set_header("Cache-Control", "no-cache");
  auto stopping = settings.stopping;
  res.set_chunked_content_provider(
      "text/event-stream",
      [listener, stopping, idle = 0](size_t, httplib::DataSink& sink) mutable {
        if (stopping->load())
          return false;
        bool got = false;
        std::string chunk;
        (*listener)->receive(
            [&](atom::event, const std::string& t, const std::string& json) {
              chunk = "event: " + t + "\ndata: " + json + "\n\n";
              got = true;
            },
            caf::after(std::chrono::milliseconds(500)) >> [] {});
        if (!got) {
          if (++idle < 30)
            return true;
          chunk = ": keep-alive\n\n";
        }
        idle = 0;
        return sink.write(chunk.data(), chunk.size());
      },
      [open_streams](bool) { open_streams->fetch_sub(1); });
}

} // namespace

void install_telemetry_routes(router& server, actor_gateway& gateway,
                              const telemetry_settings& settings) {
  server.Post("/api/metrics", body_media::json_or_prometheus,
              [&gateway, settings](const httplib::Request& req, httplib::Response& res) {
                push_metrics(gateway, settings, req, res);
              });
  server.Get(
      R"(/api/metrics/([^/]+)/snapshots)",
      [&gateway, cluster = settings.cluster](const httplib::Request& req, httplib::Response& res) {
        snapshots_of_metric(gateway, cluster, req, res);
      });
  server.Get("/api/snapshots/latest", [&gateway](const httplib::Request&, httplib::Response& res) {
    gateway_failure failure;
    auto body = gateway.latest_snapshots_body(failure);
    if (!body)
      return send_error(res, failure.status, failure.message);
    res.status = 200;
    res.set_content(**body, "application/json");
  });
  auto open_streams = std::make_shared<std::atomic<int>>(0);
  server.Get("/api/events", [&gateway, settings, open_streams](const httplib::Request& req,
                                                               httplib::Response& res) {
    event_stream(gateway, settings, open_streams, req, res);
  });
}

} // namespace grace::http
