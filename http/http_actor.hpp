#pragma once
// The HTTP front: owns a cpp-httplib server running on its own threads; every
// route asks the owning actor through the supervisor.
#include "http/actor_gateway.hpp"
#include "http/api_routes.hpp"
#include "http/front_server.hpp"
#include "http/ml_routes.hpp"
#include "http/router.hpp"
#include "http/server_settings.hpp"
#include "http/telemetry_routes.hpp"

#include <memory>
#include <string>
#include <thread>
#include <vector>

namespace grace {

// The server's settings (server_settings.hpp) and what its routes need from
// the rest of the node (the token and stream limit come from the server's).
struct http_settings_view : http::server_settings {
  http::telemetry_settings telemetry; // clock and max_future_ms
  http::ml_settings ml;               // default_horizon_ms
};

struct http_state {
  static inline const char* name = "http";
  std::unique_ptr<http::actor_gateway> gateway;
  std::unique_ptr<http::router> routes; // the server's handlers refer to it
  std::unique_ptr<http::front_server> server;
  std::thread listener;
  int port = 0;
  std::shared_ptr<std::atomic<bool>> stopping;
  ~http_state(); // stops the server and joins its thread
};

// Binds at start; a port that cannot be bound, or an address other than
// loopback without a token, stops the actor with errc::startup_failed.
http_actor::behavior_type http_component(http_actor::stateful_pointer<http_state> self,
                                         supervisor_actor supervisor, http_settings_view settings);

} // namespace grace
