#include "http/http_actor.hpp"

#include "http/analytics_routes.hpp"
#include "http/cluster_routes.hpp"
#include "http/operations_routes.hpp"
#include "http/request_rules.hpp"
#include "http/web_routes.hpp"
#include "messages/errors.hpp"

#include <caf/event_based_actor.hpp>
#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

namespace grace {

http_state::~http_state() {
  if (stopping)
    stopping->store(true);
  if (server)
    server->stop_listening();
  if (listener.joinable())
    listener.join();
}

http_actor::behavior_type http_component(http_actor::stateful_pointer<http_state> self,
                                         supervisor_actor supervisor, http_settings_view settings) {
  auto& st = self->state;
  st.gateway =
      std::make_unique<http::actor_gateway>(self->system(), std::move(supervisor),
                                            std::chrono::milliseconds(settings.request_timeout_ms));
  auto refuse = [&](const std::string& why) {
    spdlog::error("[HTTP] ❌ {}", why);
    self->quit(make_error(errc::startup_failed, why));
    return http_actor::behavior_type::make_empty_behavior();
  };
  if (auto problem = http::exposure_problem(settings.bind, settings.token))
    return refuse(*problem);
  http::connection_limits limits;
  limits.threads = static_cast<size_t>(settings.threads);
  limits.idle_timeout = std::chrono::milliseconds(settings.idle_timeout_ms);
  limits.read_timeout = std::chrono::milliseconds(settings.read_timeout_ms);
  limits.max_connections = static_cast<size_t>(settings.max_connections);
  st.server = std::make_unique<http::front_server>(limits);
  // Responses go out as header and body writes: without TCP_NODELAY, Nagle and
  // delayed ACKs add ~40 ms to every keep-alive request.
  st.server->set_tcp_nodelay(true);
  st.routes = std::make_unique<http::router>(
      *st.server, http::front_settings{settings.bind, settings.allowed_hosts, settings.token,
                                       settings.max_body_bytes});
  auto& routes = *st.routes;
  http::install_routes(routes, *st.gateway);
  // Each incarnation gets its own stop flag, so a restart does not inherit a
  // stopped one.
  settings.telemetry.stopping = std::make_shared<std::atomic<bool>>(false);
  settings.telemetry.max_event_streams = settings.max_event_streams;
  settings.ml.token = settings.token;
  st.stopping = settings.telemetry.stopping;
  http::install_telemetry_routes(routes, *st.gateway, settings.telemetry);
  http::install_ml_routes(routes, *st.gateway, settings.ml);
  http::install_operations_routes(routes, *st.gateway, settings.ml.cluster);
  http::install_analytics_routes(routes, *st.gateway, std::make_shared<http::request_metrics>(),
                                 settings.ml.cluster);
  http::install_cluster_routes(routes, *st.gateway);
  http::install_web_routes(routes);
  routes.finish();
  const int port = st.server->bind_with_backlog(settings.bind, settings.port);
  if (port <= 0)
    return refuse("cannot listen on " + settings.bind + ":" + std::to_string(settings.port)
                  + " (address in use or not available)");
  st.port = port;
  auto* server = st.server.get();
  st.listener = std::thread([server] { server->listen_after_bind(); });
  spdlog::info("[HTTP] 🌐 Listening on http://{}:{}{}", settings.bind, port,
               settings.token.empty() ? "" : " (mutating requests need the bearer token)");
  return {
      [=](atom::status) -> http_status { return {self->state.port}; },
  };
}

} // namespace grace
