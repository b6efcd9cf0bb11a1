#include "http/http_actor.hpp"

#include "http/analytics_routes.hpp"
#include "http/operations_routes.hpp"
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
    server->stop();
  if (listener.joinable())
    listener.join();
}

http_actor::behavior_type http_component(http_actor::stateful_pointer<http_state> self,
                                         supervisor_actor supervisor, http_settings_view settings) {
  auto& st = self->state;
  st.gateway =
      std::make_unique<http::actor_gateway>(self->system(), std::move(supervisor),
                                            std::chrono::milliseconds(settings.request_timeout_ms));
  st.server = std::make_unique<httplib::Server>();
  // Responses go out as header and body writes: without TCP_NODELAY, Nagle and
  // delayed ACKs add ~40 ms to every keep-alive request.
  st.server->set_tcp_nodelay(true);
  const int threads = settings.threads;
  st.server->new_task_queue = [threads] {
    return new httplib::ThreadPool(static_cast<size_t>(threads));
  };
  http::install_routes(*st.server, *st.gateway, settings.api);
  // Each incarnation gets its own stop flag, so a restart does not inherit a
  // stopped one.
  settings.telemetry.stopping = std::make_shared<std::atomic<bool>>(false);
  st.stopping = settings.telemetry.stopping;
  http::install_telemetry_routes(*st.server, *st.gateway, settings.telemetry);
  http::install_ml_routes(*st.server, *st.gateway, settings.ml);
  http::install_operations_routes(*st.server, *st.gateway);
  http::install_analytics_routes(*st.server, *st.gateway,
                                 std::make_shared<http::request_metrics>());
  http::install_web_routes(*st.server);
  int port = settings.port;
  bool bound = false;
  if (port == 0) {
    port = st.server->bind_to_any_port(settings.bind);
    bound = port > 0;
  } else {
    bound = st.server->bind_to_port(settings.bind, port);
  }
  if (!bound) {
    std::string why = "cannot listen on " + settings.bind + ":" + std::to_string(settings.port)
                      + " (address in use or not available)";
    spdlog::error("[HTTP] ❌ {}", why);
    self->quit(make_error(errc::startup_failed, why));
    return http_actor::behavior_type::make_empty_behavior();
  }
  st.port = port;
  auto* server = st.server.get();
  st.listener = std::thread([server] { server->listen_after_bind(); });
  spdlog::info("[HTTP] 🌐 Listening on http://{}:{}{}", settings.bind, port,
               settings.api.token.empty() ? "" : " (mutating requests need the bearer token)");
  return {
      [=](atom::status) -> std::string {
        return nlohmann::json{{"port", self->state.port}}.dump();
      },
  };
}

} // namespace grace
