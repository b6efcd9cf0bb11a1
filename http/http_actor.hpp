#pragma once
// The HTTP front: owns a cpp-httplib server running on its own threads; every
// route asks the owning actor through the supervisor.
#include "http/actor_gateway.hpp"
#include "http/api_routes.hpp"
#include "http/front_server.hpp"
#include "http/ml_routes.hpp"
#include "http/router.hpp"
#include "http/telemetry_routes.hpp"

#include <memory>
#include <string>
#include <thread>
#include <vector>

namespace grace {

struct http_settings_view {
  std::string bind = "127.0.0.1";
  int port = 8000; // 0: any free port (logged)
  int threads = 16;
  int64_t request_timeout_ms = 5000;
  std::vector<std::string> allowed_hosts;
  int64_t idle_timeout_ms = 10000;
  int64_t read_timeout_ms = 10000;
  int max_connections = 1024;
  http::api_settings api;
  http::telemetry_settings telemetry;
  http::ml_settings ml;
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
