#pragma once
// Telemetry routes: metric push, snapshot queries, the server-sent event
// stream.
#include "actors/clock/node_clock.hpp"
#include "http/actor_gateway.hpp"
#include "http/router.hpp"

#include <atomic>
#include <httplib.h>
#include <memory>

namespace grace::http {

struct telemetry_settings {
  node_clock clock;
  int64_t max_future_ms = 5 * 60000; // pushed samples further ahead are rejected
  int max_event_streams = 8;
  // A cluster node: pushed samples go to the cluster component, which sends
  // each to the ingest of its metric's owner.
  bool cluster = false;
  // Set when the server stops, so that open event streams end promptly.
  std::shared_ptr<std::atomic<bool>> stopping = std::make_shared<std::atomic<bool>>(false);
};

void install_telemetry_routes(router& server, actor_gateway& gateway,
                              const telemetry_settings& settings);

} // namespace grace::http
